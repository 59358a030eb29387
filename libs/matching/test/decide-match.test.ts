import {
  type Candidate,
  comparableContact,
  DEFAULT_THRESHOLDS,
  decideMatch,
  describeWeights,
  type LinkageModel,
  type MatchDecision,
  prepareCandidate,
  priorModel,
  ScoringModel,
  scoreCandidates,
} from '@refinery/matching';
import { candidate, contact, nicknames, people } from './fixtures';

function matchedId(decision: MatchDecision): string | undefined {
  return decision.status === 'matched' ? decision.candidate.id : undefined;
}

// "first_name exact +7.1" -> 7.1: the weights a reason names, by comparison.
function weights(reason: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const match of reason.matchAll(/(?:^|, |= )([a-z_]+) [^,;=]*? ([+-]\d+\.\d)(?=,|;|$)/g)) {
    found[match[1] as string] = Number(match[2]);
  }
  return found;
}

describe('identifiers inside the model', () => {
  it('matches a shared e-mail with a compatible name, as an exact match, and names each weight', () => {
    const decision = decideMatch(contact({ first_name: 'Jon', last_name: 'Smith', email: 'John.Smith@acme.example' }), [people.johnSmith], nicknames);
    expect(decision).toMatchObject({ status: 'matched', method: 'exact', candidate: people.johnSmith });
    expect(decision.reason).toMatch(
      /^matched: "John Smith" \(id john-smith, probability 0\.\d{4}\), at least 0\.9; weight \+\d+\.\d bits = prior -\d+\.\d, /,
    );
    const parts = weights(decision.reason);
    expect(parts.email).toBeGreaterThan(15);
    expect(parts.first_name).toBeGreaterThan(0);
    expect(parts.last_name).toBeGreaterThan(0);
    expect(decision.reason).toContain('missing: ');
  });

  it('matches a shared phone written in another format', () => {
    const decision = decideMatch(contact({ first_name: 'John', last_name: 'Smith', phone: '(415) 555-0134' }), [people.johnSmith], nicknames);
    expect(decision).toMatchObject({ status: 'matched', method: 'exact' });
    expect(decision.reason).toContain('phone exact +');
  });

  it('takes a nickname or an initial beside a shared e-mail', () => {
    const bob = decideMatch(contact({ first_name: 'Bob', last_name: 'Jones', email: 'rjones@initech.example' }), [people.robertJones], nicknames);
    expect(bob).toMatchObject({ status: 'matched', method: 'exact' });
    expect(bob.reason).toContain('first_name nickname +');
    // An initial tells no one apart in a household (J. is John, Jane and Jack): the shared e-mail and surname count
    // as one household, so it needs more than that.
    const initial = decideMatch(contact({ first_name: 'J.', last_name: 'Smith', email: 'john.smith@acme.example' }), [people.johnSmith], nicknames);
    expect(initial.status).not.toBe('matched');
    expect(initial.reason).toContain('first_name initial');
    expect(initial.reason).toContain('household evidence capped');
    const withBirthDate = decideMatch(
      contact({ first_name: 'J.', last_name: 'Smith', email: 'john.smith@acme.example', birth_date: '1980-02-01' }),
      [people.johnSmith],
      nicknames,
    );
    expect(withBirthDate).toMatchObject({ status: 'matched', method: 'exact' });
  });

  it('does not match a family e-mail shared with a different first name: household evidence is capped', () => {
    const decision = decideMatch(contact({ first_name: 'Tom', last_name: 'Smith', email: 'smiths@home.example' }), [people.janeSmith], nicknames);
    expect(decision.status).not.toBe('matched');
    expect(decision.reason).toContain('first_name different -');
  });

  it('does not match a shared phone to a different last name and first name', () => {
    const decision = decideMatch(contact({ first_name: 'Mary', last_name: 'Baker', phone: '+14155550134' }), [people.johnSmith], nicknames);
    expect(decision.status).toBe('unmatched');
  });

  it('prefers the candidate who shares an identifier to a namesake who shares only places', () => {
    const sparse = candidate('sparse', { first_name: 'John', last_name: 'Smith', email: 'john.smith@acme.example' });
    const namesake = candidate('namesake', { first_name: 'John', last_name: 'Smith', city: 'Boston', state: 'MA' });
    const subject = contact({ first_name: 'John', last_name: 'Smith', email: 'john.smith@acme.example', city: 'Boston', state: 'MA' });
    expect(matchedId(decideMatch(subject, [namesake, sparse], nicknames))).toBe('sparse');
    expect(matchedId(decideMatch(subject, [sparse, namesake], nicknames))).toBe('sparse');
  });
});

describe('names', () => {
  it('matches a first-name typo when a birth date and a company agree', () => {
    const decision = decideMatch(
      contact({ first_name: 'Micheal', last_name: 'Miller', company: 'Hooli', birth_date: '1975-06-30' }),
      [people.michaelMiller],
      nicknames,
    );
    expect(decision).toMatchObject({ status: 'matched', method: 'fuzzy' });
  });

  it('ignores accents and case, and reads compound surnames as one', () => {
    const jose = decideMatch(
      contact({ first_name: 'JOSE', last_name: 'nunez', company: 'UMBRELLA', city: 'malaga', state: 'Andalucia' }),
      [people.joseNunez],
      nicknames,
    );
    expect(jose.status).toBe('matched');
    const maria = decideMatch(
      contact({ first_name: 'Maria', last_name: 'Garcia', street: '5 Calle Mayor', postcode: '28013' }),
      [people.mariaGarciaLopez],
      nicknames,
    );
    expect(maria.status).toBe('matched');
    expect(maria.reason).toContain('last_name compound');
  });

  it('does not take a related name of the other gender for the same person (Paul / Paula)', () => {
    const decision = decideMatch(
      contact({ first_name: 'Paul', last_name: 'Brown', street: '9 Oak Road', city: 'Denver', state: 'CO' }),
      [people.paulaBrown],
      nicknames,
    );
    expect(decision.status).not.toBe('matched');
    expect(decision.reason).toContain('first_name counterpart');
  });

  it('matches first and last name entered the other way round, and says so', () => {
    const decision = decideMatch(
      contact({ first_name: 'Miller', last_name: 'Michael', company: 'Hooli', birth_date: '1975-06-30' }),
      [people.michaelMiller],
      nicknames,
    );
    expect(decision.status).toBe('matched');
    expect(decision.reason).toContain('first and last name swapped');
  });

  it('matches a nickname with corroboration, and reports the method', () => {
    const decision = decideMatch(
      contact({ first_name: 'Bob', last_name: 'Jones', company: 'Initech', city: 'Austin', state: 'TX' }),
      [people.robertJones],
      nicknames,
    );
    expect(decision).toMatchObject({ status: 'matched', method: 'nickname' });
  });

  it('matches spelling variants whose initials differ (Katherine / Catherine)', () => {
    const decision = decideMatch(
      contact({ first_name: 'Katherine', last_name: 'Wilson', postcode: '02134', title: 'nurse' }),
      [people.kateWilson],
      nicknames,
    );
    expect(decision).toMatchObject({ status: 'matched', method: 'fuzzy' });
    expect(decision.reason).toContain('first_name similar');
  });
});

describe('a missing name', () => {
  const register = candidate('reg-1', {
    first_name: 'Alice',
    last_name: 'Nguyen',
    street: '27 Sinclair St',
    city: 'Burwood',
    postcode: '2134',
    state: 'NSW',
    birth_date: '1961-04-09',
  });

  it('matches a row with no first name when the birth date and the address agree, and says what was missing', () => {
    const decision = decideMatch(
      contact({ last_name: 'Nguyen', street: '27 Sinclair Street', city: 'Burwood', postcode: '2134', state: 'NSW', birth_date: '1961-04-09' }),
      [register],
      nicknames,
    );
    expect(decision.status).toBe('matched');
    expect(decision.reason).toMatch(/missing: first_name/);
  });

  it('does not guess between two people of one household when the row lacks the name that tells them apart', () => {
    const sister = candidate('reg-2', {
      first_name: 'Beth',
      last_name: 'Nguyen',
      street: '27 Sinclair St',
      city: 'Burwood',
      postcode: '2134',
      state: 'NSW',
      birth_date: '1963-01-02',
    });
    const decision = decideMatch(
      contact({ last_name: 'Nguyen', street: '27 Sinclair Street', city: 'Burwood', postcode: '2134', state: 'NSW' }),
      [register, sister],
      nicknames,
    );
    expect(decision.status).not.toBe('matched');
    expect(decision.reason).toContain('next "Beth Nguyen"');
  });
});

describe('dates', () => {
  const person = candidate('p', { first_name: 'Alice', last_name: 'Nguyen', street: '27 Sinclair St', postcode: '2134', birth_date: '1961-04-09' });

  it.each([
    ['1961-04-09', 'exact'],
    ['1961-04-08', 'one digit off'],
    ['1961-09-04', 'day and month swapped'],
    ['1916-04-09', 'two digits swapped'],
    ['1961-11-20', 'year only'],
    ['1975-11-20', 'different'],
  ])('rates %s against 1961-04-09 as %s', (birthDate, level) => {
    const decision = decideMatch(
      contact({ first_name: 'Alice', last_name: 'Nguyen', street: '27 Sinclair St', postcode: '2134', birth_date: birthDate }),
      [person],
      nicknames,
    );
    expect(decision.reason).toContain(`birth_date ${level} `);
  });

  it('still matches one typed digit off when name and address agree, and declines a different birth date', () => {
    const oneOff = decideMatch(
      contact({ first_name: 'Alice', last_name: 'Nguyen', street: '27 Sinclair St', postcode: '2134', birth_date: '1961-04-08' }),
      [person],
      nicknames,
    );
    expect(oneOff.status).toBe('matched');
    const different = decideMatch(
      contact({ first_name: 'Alice', last_name: 'Nguyen', birth_date: '1975-11-20', company: 'Acme' }),
      [person],
      nicknames,
    );
    expect(different.status).not.toBe('matched');
  });
});

describe('look-alikes, close calls and thresholds', () => {
  it('does not match a look-alike with nothing else in common', () => {
    const lookalike = candidate('other', {
      first_name: 'John',
      last_name: 'Smith',
      email: 'js@else.example',
      phone: '+1 212 555 0100',
      street: '1 Other Rd',
      city: 'Boston',
      state: 'MA',
      postcode: '02101',
      birth_date: '1960-01-01',
    });
    const decision = decideMatch(
      contact({
        first_name: 'John',
        last_name: 'Smith',
        email: 'john@mine.example',
        street: '9 Elm St',
        city: 'Austin',
        state: 'TX',
        postcode: '73301',
        birth_date: '1990-05-05',
      }),
      [lookalike],
      nicknames,
    );
    expect(decision.status).toBe('unmatched');
  });

  it('says so when there are no candidates', () => {
    expect(decideMatch(contact({ first_name: 'Ada', last_name: 'Lovelace', email: 'ada@x.example' }), [], nicknames)).toEqual({
      status: 'unmatched',
      score: 0,
      reason: 'the provider returned no candidates',
    });
  });

  it('shares the probability between two candidates that fit equally, so neither is matched', () => {
    const a = candidate('a', { first_name: 'John', last_name: 'Smith', company: 'Acme', city: 'Austin', state: 'TX' });
    const b = candidate('b', { first_name: 'John', last_name: 'Smith', company: 'Acme', city: 'Austin', state: 'TX' });
    const decision = decideMatch(
      contact({ first_name: 'John', last_name: 'Smith', company: 'Acme', city: 'Austin', state: 'TX' }),
      [a, b],
      nicknames,
    );
    expect(decision.status).not.toBe('matched');
    expect(decision.score).toBeLessThanOrEqual(0.5);
  });

  it('puts an uncertain row in review with its candidate, and honours the thresholds given', () => {
    const subject = contact({ first_name: 'John', last_name: 'Smith', city: 'Austin', state: 'TX' });
    const decision = decideMatch(subject, [people.johnSmyth], nicknames);
    const { score } = decision;
    expect(score).toBeGreaterThan(0);
    expect(score).toBeLessThan(1);
    const review = decideMatch(subject, [people.johnSmyth], nicknames, { thresholds: { match: Math.min(0.999, score + 0.0001), review: score / 2 } });
    expect(review).toMatchObject({ status: 'review', candidate: people.johnSmyth });
    expect(review.reason).toMatch(/^needs review: /);
    const matched = decideMatch(subject, [people.johnSmyth], nicknames, { thresholds: { match: score / 2, review: score / 4 } });
    expect(matched.status).toBe('matched');
    const unmatched = decideMatch(subject, [people.johnSmyth], nicknames, { thresholds: { match: 0.9999, review: 0.9999 } });
    expect(unmatched.status).toBe('unmatched');
  });

  it('has documented defaults that cannot be changed by accident', () => {
    expect(DEFAULT_THRESHOLDS).toEqual({ match: 0.9, review: 0.5 });
    expect(Object.isFrozen(DEFAULT_THRESHOLDS)).toBe(true);
  });
});

describe('score', () => {
  it('never falls when an agreeing field is added', () => {
    const person = candidate('full', {
      first_name: 'Ada',
      last_name: 'Lovelace',
      company: 'Engines',
      title: 'Analyst',
      street: '12 St James Sq',
      city: 'London',
      state: 'LDN',
      postcode: 'SW1Y 4JH',
      birth_date: '1815-12-10',
    });
    const fields = ['company', 'title', 'street', 'city', 'postcode', 'birth_date'] as const;
    let previous = 0;
    const subject: Record<string, string> = { first_name: 'Ada', last_name: 'Lovelace', state: 'LDN' };
    for (const field of fields) {
      subject[field] = person.fields[field] as string;
      const { score } = decideMatch(contact(subject), [person], nicknames);
      expect(score).toBeGreaterThanOrEqual(previous);
      previous = score;
    }
    expect(previous).toBeGreaterThan(0.99);
  });
});

describe('candidates ranked', () => {
  it('best first, and candidates that fit equally well in the order the provider gave them', () => {
    const twin = { first_name: 'Ada', last_name: 'Lovelace', city: 'London' };
    const candidates = [
      candidate('stranger', { first_name: 'Bob', last_name: 'Stone', city: 'Leeds' }),
      candidate('twin-1', twin),
      candidate('best', { ...twin, birth_date: '1815-12-10' }),
      candidate('twin-2', twin),
      candidate('twin-3', twin),
    ];
    const subject = comparableContact(contact({ ...twin, birth_date: '1815-12-10' }));
    const scored = scoreCandidates(subject, candidates, nicknames, new ScoringModel(priorModel()));

    expect(scored.map((entry) => entry.candidate.id)).toEqual(['best', 'twin-1', 'twin-2', 'twin-3', 'stranger']);
    expect(scored[1]?.probability).toBe(scored[3]?.probability);
    const reversed = scoreCandidates(subject, [...candidates].reverse(), nicknames, new ScoringModel(priorModel()));
    expect(reversed.map((entry) => entry.candidate.id)).toEqual(['best', 'twin-3', 'twin-2', 'twin-1', 'stranger']);
  });

  it('the decision takes the first of equal candidates, and names the next of them as its runner-up', () => {
    const twin = { first_name: 'Ada', last_name: 'Lovelace', city: 'London', birth_date: '1815-12-10' };
    const candidates = [
      candidate('stranger', { first_name: 'Bob', last_name: 'Stone', city: 'Leeds' }),
      candidate('twin-1', twin),
      candidate('twin-2', twin),
      candidate('twin-3', twin),
    ];
    const decision = decideMatch(contact(twin), candidates, nicknames);
    expect(decision).toMatchObject({ status: 'unmatched' });
    expect(decision.reason).toMatch(/^not matched: "Ada Lovelace" \(id twin-1, .*; next "Ada Lovelace" \(id twin-2, /);
    const reversed = decideMatch(contact(twin), [...candidates].reverse(), nicknames);
    expect(reversed.reason).toMatch(/^not matched: "Ada Lovelace" \(id twin-3, .*; next "Ada Lovelace" \(id twin-2, /);
  });
});

describe('prepared candidates', () => {
  it('decide the same as plain ones and look the same from outside', () => {
    const subject = contact({ first_name: 'Jon', last_name: 'Smith', email: 'john.smith@acme.example' });
    const prepared: Candidate = prepareCandidate(people.johnSmith);
    expect(decideMatch(subject, [prepared], nicknames).reason).toBe(decideMatch(subject, [people.johnSmith], nicknames).reason);
    expect(JSON.stringify(prepared)).toBe(JSON.stringify(people.johnSmith));
  });
});

describe('the decision and the scores of every candidate', () => {
  // A model whose common names weigh less when they agree (frequency-adjusted exact weights), so the reasons name
  // weights that are not the levels' own.
  const model: LinkageModel = { ...priorModel(), frequencies: { first_name: { john: 0.05, jane: 0.02 }, last_name: { smith: 0.03 } } };
  const household = { last_name: 'Smith', phone: '+1 415 555 0199', street: '7 Elm Street', city: 'Oakland', state: 'CA' };
  const books = [
    { first_name: 'Jon', last_name: 'Smith', email: 'john.smith@acme.example' },
    { first_name: 'John', last_name: 'Smith', city: 'San Francisco', state: 'CA', birth_date: '1980-02-01' },
    { first_name: 'Smith', last_name: 'John', company: 'Acme' },
    { first_name: 'Tom', ...household },
    { first_name: 'Jane', ...household, street: '9 Other Street', city: 'Denver', state: 'CO' },
    { first_name: 'Maria', last_name: 'Garcia', postcode: '28013' },
    { first_name: 'Kate', last_name: 'Wilson', postcode: '02134', title: 'Nurse' },
    { first_name: 'Nobody', last_name: 'Else', city: 'Nowhere' },
  ];
  const everyone = Object.values(people);

  it('takes the first two of scoreCandidates, and its reason spells out the best score as describeWeights does', () => {
    const scoring = new ScoringModel(model);
    for (const book of books) {
      for (const candidates of [everyone, [...everyone].reverse(), everyone.slice(0, 2), everyone.slice(3, 4)]) {
        const subject = contact(book);
        const scored = scoreCandidates(comparableContact(subject), candidates, nicknames, scoring);
        const [best, runnerUp] = scored;
        if (best === undefined) throw new Error('no candidate scored');
        expect(best.describeWeights()).toBe(describeWeights(best.score));
        expect(best.weight).toBe(best.score.weight);
        const decision = decideMatch(subject, candidates, nicknames, { model: scoring });
        // A model given as such (a ScoringModel made for this decision alone) writes the same reason.
        expect(decideMatch(subject, candidates, nicknames, { model }).reason).toBe(decision.reason);
        expect(decision.status === 'unmatched' ? undefined : decision.candidate).toBe(decision.status === 'unmatched' ? undefined : best.candidate);
        expect(decision.reason).toContain(` bits = ${describeWeights(best.score)}`);
        expect(decision.reason).toContain(`(id ${best.candidate.id}, `);
        if (runnerUp !== undefined && runnerUp.probability >= 0.001) expect(decision.reason).toContain(`; next "`);
        if (runnerUp !== undefined && runnerUp.probability >= 0.001) expect(decision.reason).toContain(`(id ${runnerUp.candidate.id}, `);
      }
    }
  });

  it('names frequency-adjusted weights, capped households, swapped names and missing fields as the score does', () => {
    const scoring = new ScoringModel(model);
    const texts = books.flatMap((book) =>
      scoreCandidates(comparableContact(contact(book)), everyone, nicknames, scoring).map((entry) => {
        expect(entry.describeWeights()).toBe(describeWeights(entry.score));
        return entry.describeWeights();
      }),
    );
    // Each kind of part is met at least once, so the comparison above covers it.
    for (const part of ['household evidence capped', 'first and last name swapped', 'missing: ', 'places nest', 'changes counted once']) {
      expect(texts.some((text) => text.includes(part))).toBe(true);
    }
    // John's exact agreement at his frequency, log2(0.82 / 0.05), and a rarer name's at the level's own, log2(0.82 / 0.006).
    expect(texts.some((text) => text.includes('first_name exact +4.0'))).toBe(true);
    expect(texts.some((text) => text.includes('first_name exact +7.1'))).toBe(true);
  });
});
