import type { ContactFields } from '@refinery/contacts';
import {
  type Candidate,
  COMPARISONS,
  type ComparisonName,
  comparableCandidate,
  comparableContact,
  compareRecords,
  decideMatch,
  priorModel,
  ScoringModel,
  scoreCandidates,
} from '@refinery/matching';
import { birthDateLevel, postcodeLevel } from '../src/linkage/comparisons';
import { candidate, contact, nicknames } from './fixtures';

// The label of the level each comparison reaches for a book row against a provider's record (fields missing on
// either side are left out), and whether the names were read crossed.
function compare(
  book: ContactFields,
  record: ContactFields,
  confidence?: number,
): { levels: Partial<Record<ComparisonName, string>>; swapped: boolean } {
  const other: Candidate = { ...candidate('record', record), ...(confidence === undefined ? {} : { confidence }) };
  const vector = compareRecords(comparableContact(contact(book)), comparableCandidate(other), other, nicknames);
  const levels: Partial<Record<ComparisonName, string>> = {};
  COMPARISONS.forEach((spec, index) => {
    const level = vector.levels[index] ?? -1;
    if (level >= 0) levels[spec.name] = spec.levels[level]?.label;
  });
  return { levels, swapped: vector.namesSwapped };
}

function levelOf(name: ComparisonName, book: ContactFields, record: ContactFields): string | undefined {
  return compare(book, record).levels[name];
}

describe('first names', () => {
  it.each([
    ['John', 'John', 'exact'],
    ['Mary Ann', 'Mary', 'exact'],
    ['Bob', 'Robert', 'nickname'],
    ['Peggy', 'Margaret', 'nickname'],
    ['Micheal', 'Michael', 'similar'],
    ['Katherine', 'Catherine', 'similar'],
    ['Pma', 'Pam', 'one typing slip'],
    ['Terry', 'Teri', 'sounds alike'],
    ['Kathryn', 'Catherine', 'sounds alike'],
    ['J.', 'John', 'initial'],
    ['Paul', 'Paula', 'counterpart (like Paul and Paula)'],
    ['Daniel', 'Danielle', 'counterpart (like Paul and Paula)'],
    ['Carl', 'Carol', 'counterpart (like Paul and Paula)'],
    ['George', 'Georgia', 'counterpart (like Paul and Paula)'],
    ['Mario', 'Maria', 'counterpart (like Paul and Paula)'],
    ['Jessie', 'Jesse', 'counterpart (like Paul and Paula)'],
    ['Mark', 'Susan', 'different'],
  ])('%s against %s is %s', (book, record, level) => {
    expect(levelOf('first_name', { first_name: book, last_name: 'Cox' }, { first_name: record, last_name: 'Cox' })).toBe(level);
  });

  it('says nothing when either side has no first name', () => {
    expect(compare({ last_name: 'Cox', postcode: '2134' }, { first_name: 'Ann', last_name: 'Cox' }).levels.first_name).toBeUndefined();
  });
});

describe('last names', () => {
  it.each([
    ['Smith', 'Smith', 'exact'],
    ['García López', 'Garcia-Lopez', 'exact'],
    ['Garcia', 'García-López', 'compound (one part of the other)'],
    ['Thomson', 'Thompson', 'similar'],
    ['Cxo', 'Cox', 'one typing slip'],
    ['Philips', 'Fillips', 'sounds alike'],
    ['Baker', 'Cooper', 'different'],
  ])('%s against %s is %s', (book, record, level) => {
    expect(levelOf('last_name', { first_name: 'Ann', last_name: book }, { first_name: 'Ann', last_name: record })).toBe(level);
  });
});

describe('first and last name swapped', () => {
  it('reads Smith John as John Smith, and says so', () => {
    expect(compare({ first_name: 'Smith', last_name: 'John' }, { first_name: 'John', last_name: 'Smith' })).toEqual({
      levels: { first_name: 'exact', last_name: 'exact' },
      swapped: true,
    });
  });

  it('reads a swapped name with a slip in it (Smith Jon / John Smith)', () => {
    const { levels, swapped } = compare({ first_name: 'Smith', last_name: 'Jon' }, { first_name: 'John', last_name: 'Smith' });
    expect(swapped).toBe(true);
    expect(levels.first_name).toBe('exact');
    expect(levels.last_name).toBe('similar');
  });

  it('leaves names that agree straight alone, and does not cross names that agree neither way', () => {
    expect(compare({ first_name: 'John', last_name: 'Smith' }, { first_name: 'John', last_name: 'Smith' }).swapped).toBe(false);
    expect(compare({ first_name: 'Mark', last_name: 'Baker' }, { first_name: 'John', last_name: 'Smith' })).toEqual({
      levels: { first_name: 'different', last_name: 'different' },
      swapped: false,
    });
  });

  it('matches a swapped row that a straight reading would decline', () => {
    const person = candidate('p', { first_name: 'Alice', last_name: 'Nguyen', street: '27 Sinclair St', postcode: '2134', birth_date: '1961-04-09' });
    const decision = decideMatch(
      contact({ first_name: 'Nguyen', last_name: 'Alice', street: '27 Sinclair St', postcode: '2134', birth_date: '1961-04-09' }),
      [person],
      nicknames,
    );
    expect(decision.status).toBe('matched');
    expect(decision.reason).toContain('first_name exact +');
    expect(decision.reason).toContain('first and last name swapped');
  });
});

describe('birth dates', () => {
  it.each([
    ['1961-04-09', 'exact'],
    ['1961-04-08', 'one digit off'],
    ['1961-04-19', 'one digit off'],
    ['1961-09-04', 'day and month swapped'],
    ['1916-04-09', 'two digits swapped'],
    ['1961-11-20', 'year only'],
    ['1975-11-20', 'different'],
  ])('%s against 1961-04-09 is %s', (birthDate, level) => {
    expect(
      levelOf(
        'birth_date',
        { first_name: 'Ann', last_name: 'Cox', birth_date: birthDate },
        { first_name: 'Ann', last_name: 'Cox', birth_date: '1961-04-09' },
      ),
    ).toBe(level);
  });

  it('reads a US date before comparing (04/09/1961 is 1961-04-09)', () => {
    expect(
      levelOf(
        'birth_date',
        { first_name: 'Ann', last_name: 'Cox', birth_date: '04/09/1961' },
        { first_name: 'Ann', last_name: 'Cox', birth_date: '1961-04-09' },
      ),
    ).toBe('exact');
  });
});

describe('addresses, identifiers and jobs', () => {
  const ann = { first_name: 'Ann', last_name: 'Cox' };

  it('compares the street number and the street name apart', () => {
    expect(compare({ ...ann, street: '12 Sinclair St' }, { ...ann, street: '14 Sinclair St' }).levels).toMatchObject({
      street_number: 'different',
      street_name: 'exact',
    });
    expect(compare({ ...ann, street: '12 Sinclair St' }, { ...ann, street: '12 Oak Road' }).levels).toMatchObject({
      street_number: 'exact',
      street_name: 'different',
    });
    expect(compare({ ...ann, street: '12 Sinclair St' }, { ...ann, street: '12 Sinclare St' }).levels).toMatchObject({
      street_number: 'exact',
      street_name: 'similar',
    });
  });

  it('rates a postcode one character off or with two digits swapped apart from a different one', () => {
    expect(levelOf('postcode', { ...ann, postcode: '2134' }, { ...ann, postcode: '2135' })).toBe('one character off');
    expect(levelOf('postcode', { ...ann, postcode: '2134' }, { ...ann, postcode: '2143' })).toBe('one character off');
    expect(levelOf('postcode', { ...ann, postcode: '2134' }, { ...ann, postcode: '3000' })).toBe('different');
  });

  it('rates a misspelt town as similar and a state as exact or different', () => {
    expect(compare({ ...ann, city: 'Burwood', state: 'NSW' }, { ...ann, city: 'Burwod', state: 'NSW' }).levels).toMatchObject({
      city: 'similar',
      state: 'exact',
    });
    expect(levelOf('state', { ...ann, state: 'NSW' }, { ...ann, state: 'VIC' })).toBe('different');
  });

  it('rates e-mails and phones in comparable form, and a phone with another area code by its last 7 digits', () => {
    expect(levelOf('email', { ...ann, email: 'ANN@Cox.example' }, { ...ann, email: 'ann@cox.example' })).toBe('exact');
    expect(levelOf('email', { ...ann, email: 'ann@old.example' }, { ...ann, email: 'ann@cox.example' })).toBe('different');
    expect(levelOf('phone', { ...ann, phone: '(415) 555-0134' }, { ...ann, phone: '+1 415 555 0134' })).toBe('exact');
    expect(levelOf('phone', { ...ann, phone: '+1 415 555 0134' }, { ...ann, phone: '+1 212 555 0134' })).toBe('same last 7 digits');
    expect(levelOf('phone', { ...ann, phone: '+1 415 555 0134' }, { ...ann, phone: '+1 415 555 0199' })).toBe('different');
  });

  it('ignores legal suffixes of a company and rates a slip in it as similar', () => {
    expect(levelOf('company', { ...ann, company: 'Initech' }, { ...ann, company: 'Initech LLC' })).toBe('exact');
    expect(levelOf('company', { ...ann, company: 'Initech Systems' }, { ...ann, company: 'Initek Systems' })).toBe('similar');
    expect(levelOf('company', { ...ann, company: 'Initech' }, { ...ann, company: 'Globex' })).toBe('different');
    expect(levelOf('title', { ...ann, title: 'Nurse' }, { ...ann, title: 'nurse' })).toBe('exact');
  });

  it("rates the provider's own confidence, and leaves it out when the provider gives none", () => {
    const level = (confidence?: number) => compare(ann, ann, confidence).levels.provider;
    expect([level(0.95), level(0.7), level(0.4), level(0.1), level()]).toEqual([
      'confident (0.9 and up)',
      'likely (0.6 to 0.9)',
      'possible (0.3 to 0.6)',
      'doubtful',
      undefined,
    ]);
  });
});

describe('how agreements add up', () => {
  const scoring = new ScoringModel(priorModel());
  const place = { city: 'Burwood', state: 'NSW', postcode: '2134' };
  const person = candidate('p', { first_name: 'Ann', last_name: 'Cox', ...place });

  function scoreOf(book: ContactFields) {
    const [best] = scoreCandidates(comparableContact(contact(book)), [person], nicknames, scoring);
    if (best === undefined) throw new Error('no candidate scored');
    return best.score;
  }

  it('counts nested places once: a town and a state add nothing to the postcode they contain', () => {
    const postcodeOnly = scoreOf({ first_name: 'Ann', last_name: 'Cox', postcode: '2134' });
    const everyPlace = scoreOf({ first_name: 'Ann', last_name: 'Cox', ...place });
    expect(everyPlace.weight).toBeCloseTo(postcodeOnly.weight, 9);
    const contributions = everyPlace.contributions.filter((part) => ['city', 'state', 'postcode'].includes(part.comparison));
    expect(contributions.map((part) => part.level)).toEqual(['exact', 'exact', 'exact']);
    const sum = contributions.reduce((total, part) => total + part.weight, 0);
    const strongest = Math.max(...contributions.map((part) => part.weight));
    expect(everyPlace.nested).toBeCloseTo(sum - strongest, 9);
    expect(everyPlace.nested).toBeGreaterThan(1);
  });

  it('says so in the reason', () => {
    const decision = decideMatch(contact({ first_name: 'Ann', last_name: 'Cox', ...place }), [person], nicknames);
    expect(decision.reason).toMatch(/places nest \(one town, one street\) -\d+\.\d/);
  });

  it('counts the disagreements of details that change together at 0.15 beyond the strongest of each group', () => {
    const moved = candidate('moved', {
      first_name: 'Ann',
      last_name: 'Cox',
      birth_date: '1961-04-09',
      street: '3 Oak Road',
      city: 'Ryde',
      state: 'NSW',
      postcode: '2112',
      company: 'Globex',
      title: 'Nurse',
    });
    const book = contact({
      first_name: 'Ann',
      last_name: 'Cox',
      birth_date: '1961-04-09',
      street: '27 Sinclair St',
      city: 'Burwood',
      state: 'NSW',
      postcode: '2134',
      company: 'Initech',
      title: 'Manager',
    });
    const [best] = scoreCandidates(comparableContact(book), [moved], nicknames, scoring);
    if (best === undefined) throw new Error('no candidate scored');
    const { score } = best;
    const groups: Record<string, ComparisonName[]> = {
      address: ['street_number', 'street_name', 'city', 'postcode'],
      job: ['company', 'title'],
    };
    let expected = score.prior;
    let forgiven = 0;
    for (const part of score.contributions) {
      if (part.weight >= 0) expected += part.weight;
    }
    for (const names of Object.values(groups)) {
      const weights = score.contributions.filter((part) => names.includes(part.comparison)).map((part) => part.weight);
      expect(weights.length).toBeGreaterThan(1);
      expect(weights.every((weight) => weight < 0)).toBe(true);
      const strongest = Math.min(...weights);
      const rest = weights.reduce((total, weight) => total + weight, 0) - strongest;
      expected += strongest + 0.15 * rest;
      forgiven += -0.85 * rest;
    }
    expect(score.weight).toBeCloseTo(expected, 9);
    expect(score.changedTogether).toBeCloseTo(forgiven, 9);
    expect(decideMatch(book, [moved], nicknames).reason).toMatch(/changes counted once \+\d+\.\d/);
  });
});

// The date and postcode levels compare in place (no slices, no regular expressions) for speed; this reference is
// the straightforward reading of each level, kept here to hold them to it.
describe('date and postcode levels against their plain definitions', () => {
  const stripped = (text: string): string => text.replace(/-/g, '');
  function swappedReference(a: string, b: string): boolean {
    const [x, y] = [stripped(a), stripped(b)];
    if (x.length !== y.length) return false;
    let first = 0;
    while (first < x.length && x[first] === y[first]) first += 1;
    return first < x.length - 1 && x[first] === y[first + 1] && x[first + 1] === y[first] && x.slice(first + 2) === y.slice(first + 2);
  }
  const oneOff = (a: string, b: string): boolean => a.length === b.length && [...a].filter((char, index) => char !== b[index]).length === 1;
  function dateReference(a: string, b: string): number {
    if (a === b) return 0;
    if (oneOff(a, b)) return 1;
    const sameYear = a.slice(0, 4) === b.slice(0, 4);
    if (sameYear && a.slice(5, 7) === b.slice(8, 10) && a.slice(8, 10) === b.slice(5, 7)) return 2;
    if (swappedReference(a, b)) return 3;
    return sameYear ? 4 : 5;
  }
  const postcodeReference = (a: string, b: string): number => (a === b ? 0 : oneOff(a, b) || swappedReference(a, b) ? 1 : 2);

  it('agree on 20,000 random pairs of dates, near dates and postcodes with and without dashes', () => {
    let state = 11;
    const random = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 4294967296;
    };
    const digit = (): string => String(Math.floor(random() * 3));
    const date = (): string => `19${digit()}${digit()}-0${digit()}-1${digit()}`;
    const nudge = (text: string): string => {
      const chars = [...text];
      const at = Math.floor(random() * chars.length);
      if (random() < 0.5 && at + 1 < chars.length) [chars[at], chars[at + 1]] = [chars[at + 1] as string, chars[at] as string];
      else chars[at] = digit();
      return random() < 0.2 ? chars.join('').replace('-', '') : chars.join('');
    };
    for (let pair = 0; pair < 20_000; pair += 1) {
      const a = random() < 0.5 ? date() : Array.from({ length: 1 + Math.floor(random() * 6) }, digit).join('');
      const b = random() < 0.6 ? nudge(a) : date();
      if (birthDateLevel(a, b) !== dateReference(a, b)) expect([a, b, birthDateLevel(a, b)]).toEqual([a, b, dateReference(a, b)]);
      if (postcodeLevel(a, b) !== postcodeReference(a, b)) expect([a, b, postcodeLevel(a, b)]).toEqual([a, b, postcodeReference(a, b)]);
    }
    expect(birthDateLevel('1984-03-12', '1948-03-12')).toBe(3);
    expect(birthDateLevel('1984-03-12', '1984-12-03')).toBe(2);
    expect(postcodeLevel('2134', '2143')).toBe(1);
  });
});

describe('e-mails, phones and street numbers told apart by their hashes', () => {
  const ann = { first_name: 'Ann', last_name: 'Lee' };

  it('reach the levels their strings reach', () => {
    expect(levelOf('email', { ...ann, email: 'ann@x.example' }, { ...ann, email: 'ANN@x.example' })).toBe('exact');
    expect(levelOf('email', { ...ann, email: 'ann@x.example' }, { ...ann, email: 'ann@y.example' })).toBe('different');
    expect(levelOf('street_number', { ...ann, street: '12 Main St' }, { ...ann, street: '12 Oak St' })).toBe('exact');
    expect(levelOf('street_number', { ...ann, street: '12 Main St' }, { ...ann, street: '21 Main St' })).toBe('different');
    // Short phones have no last seven digits to agree on: equal or different.
    expect(levelOf('phone', { ...ann, phone: '555 01' }, { ...ann, phone: '555 01' })).toBe('exact');
    expect(levelOf('phone', { ...ann, phone: '555 01' }, { ...ann, phone: '555 02' })).toBe('different');
    expect(levelOf('phone', { ...ann, phone: '555 01' }, { ...ann, phone: '+1 415 555 0134' })).toBe('different');
    expect(levelOf('phone', { ...ann, phone: '+44 20 7946 0958' }, { ...ann, phone: '+1 415 794 6095 8' })).toBe('same last 7 digits');
  });

  it('compare the strings when the hashes agree (two strings may share one)', () => {
    const book = comparableContact(contact({ ...ann, email: 'ann@x.example', phone: '+1 415 555 0134', street: '12 Main St' }));
    const other = candidate('other', { ...ann, email: 'ann@y.example', phone: '+1 415 555 0199', street: '21 Main St' });
    // The other's hashes made equal to the book's, as a collision would: the strings still differ.
    const colliding = {
      ...comparableCandidate(other),
      emailHash: book.emailHash,
      phoneTailHash: book.phoneTailHash,
      streetNumberHash: book.streetNumberHash,
    };
    const { levels } = compareRecords(book, colliding, other, nicknames);
    const level = (name: ComparisonName) => levels[COMPARISONS.findIndex((spec) => spec.name === name)];
    expect([level('email'), level('phone'), level('street_number')]).toEqual([1, 2, 1]);
  });
});
