import type { ContactFields } from '@refinery/contacts';
import {
  COMPARISONS,
  type ComparisonName,
  estimateModel,
  type LabelledPair,
  type LinkageModel,
  parseLinkageModel,
  priorModel,
} from '@refinery/matching';
import { candidate, contact, nicknames } from './fixtures';
import { sample } from './sample';

function levelIndex(name: ComparisonName, label: string): number {
  const spec = COMPARISONS.find((comparison) => comparison.name === name);
  const index = spec?.levels.findIndex((level) => level.label === label) ?? -1;
  if (index < 0) throw new Error(`no level "${label}" in ${name}`);
  return index;
}

function m(model: LinkageModel, name: ComparisonName, label: string): number {
  return model.comparisons[name].m[levelIndex(name, label)] as number;
}

function u(model: LinkageModel, name: ComparisonName, label: string): number {
  return model.comparisons[name].u[levelIndex(name, label)] as number;
}

// Every row's person moved to another street of the same town (same house number): the book is current otherwise.
const movedStreet = (fields: ContactFields): ContactFields => ({ ...fields, street: String(fields.street).replace(/ .*/, ' Nowhere Boulevard') });

describe('estimateModel', () => {
  it('is deterministic: the same sample gives the same model', () => {
    const first = estimateModel(sample({ rows: 300, change: movedStreet }).rows, { nicknames, population: 50_000 });
    const second = estimateModel(sample({ rows: 300, change: movedStreet }).rows, { nicknames, population: 50_000 });
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(first.trainedOn).toMatchObject({ rows: 300, pairs: 900, labelledPairs: 0 });
    expect(first.trainedOn.randomPairs).toBeGreaterThan(1000);
    expect(first.trainedOn.iterations).toBeGreaterThan(1);
    expect(first.population).toBe(50_000);
  });

  it('learns m from the book: a street that always differs among true matches becomes a normal disagreement', () => {
    const prior = priorModel();
    const model = estimateModel(sample({ rows: 300, change: movedStreet }).rows, { nicknames });
    expect(m(prior, 'street_name', 'different')).toBeCloseTo(0.12, 6);
    expect(m(model, 'street_name', 'different')).toBeGreaterThan(0.8);
    expect(m(model, 'street_name', 'exact')).toBeLessThan(0.1);
    // The house number was kept: its agreement is learnt as the norm.
    expect(m(model, 'street_number', 'exact')).toBeGreaterThan(m(prior, 'street_number', 'exact'));
    // Every row has its person among its candidates: the match rate follows.
    expect(model.matchRate).toBeGreaterThan(0.9);
    // m of each comparison is a distribution over its levels.
    for (const spec of COMPARISONS) {
      expect(model.comparisons[spec.name].m.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    }
  });

  it('learns the same street as an agreement from a book where nobody moved', () => {
    const model = estimateModel(sample({ rows: 300 }).rows, { nicknames });
    expect(m(model, 'street_name', 'exact')).toBeGreaterThan(0.8);
    expect(m(model, 'street_name', 'different')).toBeLessThan(0.12);
  });

  it('takes u from random pairs: how often two people of this book share a first name', () => {
    const varied = estimateModel(sample({ rows: 300 }).rows, { nicknames });
    // Half of the people are called John.
    const johns = estimateModel(sample({ rows: 300, firstNames: ['John', 'Mary', 'John', 'Robert', 'John', 'Linda', 'John', 'David'] }).rows, {
      nicknames,
    });
    const prior = u(priorModel(), 'first_name', 'exact');
    expect(u(varied, 'first_name', 'exact')).toBeLessThan(0.1);
    expect(u(johns, 'first_name', 'exact')).toBeGreaterThan(0.2);
    expect(u(johns, 'first_name', 'exact')).toBeGreaterThan(10 * prior);
    expect(u(johns, 'first_name', 'exact')).toBeGreaterThan(3 * u(varied, 'first_name', 'exact'));
    // The provider's confidence says nothing about another row's candidate: its u stays the prior.
    expect(johns.comparisons.provider.u).toEqual(priorModel().comparisons.provider.u);
  });

  it('keeps a table of common values only from 200 rows with a value on', () => {
    const small = estimateModel(sample({ rows: 199 }).rows, { nicknames });
    expect(small.frequencies).toEqual({});
    const enough = estimateModel(sample({ rows: 200 }).rows, { nicknames });
    // 20 first names, 10 rows each; the folded value is the key.
    expect(enough.frequencies.first_name?.james).toBeCloseTo(10 / 200, 9);
    expect(Object.keys(enough.frequencies.first_name ?? {})).toHaveLength(20);
    // Values seen once are left to the level's u.
    expect(enough.frequencies.postcode).toBeUndefined();
  });

  it('never lets m of a disagreement that must stay rare rise above its maxM, even in a book full of look-alikes', () => {
    // Every row's only candidate shares name, e-mail, phone and address but was born 20 years later.
    const lookalikes = sample({ rows: 300 }).rows.map((row, index) => {
      const person = row.candidates.find((entry) => entry.id === `p${index}`);
      if (person === undefined) throw new Error('sample without its person');
      const born = String(person.fields.birth_date);
      return {
        contact: row.contact,
        candidates: [candidate(`twin${index}`, { ...person.fields, birth_date: `${Number(born.slice(0, 4)) + 20}${born.slice(4)}` })],
      };
    });
    const model = estimateModel(lookalikes, { nicknames });
    // EM takes them for matches (the e-mail alone says so)...
    expect(m(model, 'email', 'exact')).toBeGreaterThan(0.9);
    // ...yet the birth date's disagreement stays bounded.
    expect(m(model, 'birth_date', 'different')).toBeLessThanOrEqual(0.01 + 1e-12);
    expect(m(model, 'birth_date', 'different')).toBeGreaterThan(m(priorModel(), 'birth_date', 'different'));
    for (const spec of COMPARISONS) {
      spec.levels.forEach((level, index) => {
        if (level.maxM !== undefined) expect(model.comparisons[spec.name].m[index]).toBeLessThanOrEqual(level.maxM + 1e-12);
      });
    }
  });

  it('moves m toward the levels of the pairs a reviewer accepted', () => {
    const { rows } = sample({ rows: 300 });
    // Reviewers accepted twenty rows whose first name sounds like the record's (Teri / Terry).
    const labelled: LabelledPair[] = Array.from({ length: 20 }, (_, index) => ({
      contact: contact({ first_name: 'Teri', last_name: `Quill${index}`, birth_date: `1970-01-${String(index + 1).padStart(2, '0')}` }),
      candidate: candidate(`terry${index}`, {
        first_name: 'Terry',
        last_name: `Quill${index}`,
        birth_date: `1970-01-${String(index + 1).padStart(2, '0')}`,
      }),
      same: true,
    }));
    const without = estimateModel(rows, { nicknames });
    const withLabels = estimateModel(rows, { nicknames, labelled });
    expect(withLabels.trainedOn.labelledPairs).toBe(20);
    expect(m(withLabels, 'first_name', 'sounds alike')).toBeGreaterThan(2 * m(without, 'first_name', 'sounds alike'));
  });

  it('leaves a decided pair out of the pairs EM guesses about', () => {
    const { rows } = sample({ rows: 300 });
    const first = rows[0];
    const second = rows[1];
    if (first === undefined || second === undefined) throw new Error('empty sample');
    const labelled: LabelledPair[] = [
      { contact: first.contact, candidate: first.candidates[1] as never, same: false },
      { contact: second.contact, candidate: second.candidates[2] as never, same: true },
    ];
    const model = estimateModel(rows, { nicknames, labelled });
    expect(model.trainedOn).toMatchObject({ rows: 300, pairs: 900 - 2, labelledPairs: 2 });
    // A rejection alone is left out too.
    const rejected = estimateModel(rows, { nicknames, labelled: [labelled[0] as LabelledPair] });
    expect(rejected.trainedOn.pairs).toBe(899);
  });
});

describe('parseLinkageModel', () => {
  const learnt = estimateModel(sample({ rows: 200 }).rows, { nicknames, population: 12_345 });

  it('reads back a stored model exactly', () => {
    expect(parseLinkageModel(JSON.stringify(learnt), 'job j1 model')).toEqual(learnt);
    expect(parseLinkageModel(JSON.stringify(priorModel()), 'prior')).toEqual(priorModel());
  });

  it('refuses what is not a model, naming the origin', () => {
    expect(() => parseLinkageModel(JSON.stringify({ ...learnt, version: 2 }), 'job j1 model')).toThrow(
      'job j1 model is not a linkage model: version 2, not 1',
    );
    expect(() => parseLinkageModel(JSON.stringify({ ...learnt, matchRate: '0.5' }), 'job j1 model')).toThrow(/not a linkage model/);
    // Values that would make every probability NaN, or every candidate a match, are refused too.
    expect(() => parseLinkageModel(JSON.stringify({ ...learnt, matchRate: 2 }), 'job j1 model')).toThrow(
      'job j1 model is not a linkage model: matchRate must be a number strictly between 0 and 1',
    );
    expect(() => parseLinkageModel(JSON.stringify({ ...learnt, population: -5 }), 'job j1 model')).toThrow(
      'job j1 model is not a linkage model: population must be a number of at least 1',
    );
    expect(() => parseLinkageModel('null', 'job j1 model')).toThrow('job j1 model is not a linkage model: not an object');
    expect(() => parseLinkageModel('{ nope', 'job j1 model')).toThrow(/^job j1 model is not a linkage model: not JSON/);
  });

  it('refuses a comparison with the wrong number of levels or none, naming it', () => {
    const short = { ...learnt, comparisons: { ...learnt.comparisons, birth_date: { m: [0.5, 0.5], u: [0.5, 0.5] } } };
    expect(() => parseLinkageModel(JSON.stringify(short), 'job j1 model')).toThrow(
      'job j1 model is not a linkage model: comparison birth_date needs m and u: 6 probabilities each',
    );
    const strings = { ...learnt, comparisons: { ...learnt.comparisons, state: { m: ['a', 'b'], u: [0.1, 0.9] } } };
    expect(() => parseLinkageModel(JSON.stringify(strings), 'job j1 model')).toThrow('comparison state needs m and u: 2 probabilities each');
    const { title: _title, ...withoutTitle } = learnt.comparisons;
    expect(() => parseLinkageModel(JSON.stringify({ ...learnt, comparisons: withoutTitle }), 'job j1 model')).toThrow(
      'job j1 model is not a linkage model: comparison title needs m and u: 2 probabilities each',
    );
  });
});
