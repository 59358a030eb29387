import type { ContactFields } from '@refinery/contacts';
import { comparableContact, decideMatch, priorModel, probabilityOfWeight, ScoringModel, scoreCandidates } from '@refinery/matching';
import { candidate, contact, nicknames } from './fixtures';

const household = { last_name: 'Nguyen', phone: '+61 2 9747 1234', street: '27 Sinclair St', city: 'Burwood', state: 'NSW', postcode: '2134' };
const beth = candidate('beth', { first_name: 'Beth', ...household, birth_date: '1963-01-02' });

function best(book: ContactFields, population = 1_000_000) {
  const scoring = new ScoringModel({ ...priorModel(), population });
  const [first] = scoreCandidates(comparableContact(contact(book)), [beth], nicknames, scoring);
  if (first === undefined) throw new Error('no candidate scored');
  return { score: first.score, scoring };
}

describe('the household cap', () => {
  it('does not match a household member with another first name, though surname, address and phone agree', () => {
    const tom = contact({ first_name: 'Tom', ...household });
    const decision = decideMatch(tom, [beth], nicknames);
    expect(decision.status).toBe('unmatched');
    expect(decision.reason).toContain('first_name different -');
    expect(decision.reason).toMatch(/household evidence capped -\d+\.\d/);
    const { score, scoring } = best({ first_name: 'Tom', ...household });
    // The shared fields would have made Tom Beth: it is the cap that stops it.
    expect(score.capped).toBeGreaterThan(10);
    expect(probabilityOfWeight(score.weight + score.capped)).toBeGreaterThan(0.99);
    // What is left of the household evidence is the cap: log2(population / 3) bits.
    const shared = score.contributions
      .filter((part) => ['last_name', 'phone', 'street_number', 'street_name', 'city', 'state', 'postcode'].includes(part.comparison))
      .reduce((total, part) => total + part.weight, 0);
    expect(shared - score.nested - score.capped).toBeCloseTo(scoring.householdCap, 9);
    expect(scoring.householdCap).toBeCloseTo(Math.log2(1_000_000 / 3), 9);
  });

  it('does not apply when the first names agree: the shared fields then say what they say', () => {
    const decision = decideMatch(contact({ first_name: 'Beth', ...household }), [beth], nicknames);
    expect(decision).toMatchObject({ status: 'matched', candidate: { id: 'beth' } });
    expect(decision.reason).not.toContain('household evidence capped');
    const { score } = best({ first_name: 'Beth', ...household });
    expect(score.capped).toBe(0);
    const sum = score.contributions.reduce((total, part) => total + part.weight, 0);
    expect(score.weight).toBeCloseTo(score.prior + sum - score.nested, 9);
  });

  it('applies to a counterpart first name as to a different one (Paul / Paula)', () => {
    const paula = candidate('paula', { first_name: 'Paula', ...household });
    const decision = decideMatch(contact({ first_name: 'Paul', ...household }), [paula], nicknames);
    expect(decision.status).toBe('unmatched');
    expect(decision.reason).toContain('household evidence capped');
  });
});

describe('the prior', () => {
  // Only the names can be compared: the record has nothing else.
  const namesOnly = candidate('ann', { first_name: 'Ann', last_name: 'Okafor' });
  const book = contact({ first_name: 'Ann', last_name: 'Okafor', city: 'Burwood' });

  function probability(population?: number): number {
    const options = population === undefined ? {} : { model: { ...priorModel(), population } };
    return decideMatch(book, [namesOnly], nicknames, options).score;
  }

  it("lowers a name-only candidate's probability as the provider's population grows", () => {
    const small = probability(1_000);
    const medium = probability(50_000);
    const large = probability(10_000_000);
    expect(small).toBeGreaterThan(medium);
    expect(medium).toBeGreaterThan(large);
    expect(small).toBeGreaterThan(0.9);
    expect(large).toBeLessThan(0.5);
  });

  it('is log2(matchRate / (1 - matchRate)) - log2(population) bits, and a million people when the provider does not say', () => {
    const scoring = new ScoringModel({ ...priorModel(), matchRate: 0.8, population: 50_000 });
    expect(scoring.priorWeight).toBeCloseTo(Math.log2(0.8 / 0.2) - Math.log2(50_000), 9);
    expect(priorModel().population).toBe(1_000_000);
    expect(decideMatch(book, [namesOnly], nicknames).reason).toContain(`prior ${(-Math.log2(1_000_000)).toFixed(1)},`);
    expect(probability()).toBeCloseTo(probability(1_000_000), 9);
  });
});

describe("ScoringModel's exact agreements", () => {
  // James is common in this book, Ezekiel is not: an exact first name weighs less for James.
  const model = { ...priorModel(), population: 1_000_000, frequencies: { first_name: { james: 0.05 } } };
  const exactFirstName = (scoring: ScoringModel, first: string) =>
    scoring.levelWeight(0, 0, comparableContact(contact({ first_name: first, last_name: 'Smith' })));

  it('weigh each contact by its own value, one contact after another on one model', () => {
    const fresh = (first: string) => exactFirstName(new ScoringModel(model), first);
    const scoring = new ScoringModel(model);
    const weights = ['James', 'Ezekiel', 'James', 'James', 'Ezekiel'].map((first) => exactFirstName(scoring, first));

    expect(fresh('James')).toBeLessThan(fresh('Ezekiel'));
    expect(weights).toEqual([fresh('James'), fresh('Ezekiel'), fresh('James'), fresh('James'), fresh('Ezekiel')]);
  });

  it("weigh a contact's other levels and comparisons as before", () => {
    const scoring = new ScoringModel(model);
    const james = comparableContact(contact({ first_name: 'James', last_name: 'Smith' }));
    const exact = scoring.levelWeight(0, 0, james);
    expect(scoring.levelWeight(0, 1, james)).not.toBe(exact);
    expect(scoring.levelWeight(1, 0, james)).toBe(new ScoringModel(model).levelWeight(1, 0, james));
    expect(scoring.levelWeight(0, 0, james)).toBe(exact);
  });
});
