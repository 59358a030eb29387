import { DEFAULT_THRESHOLDS, decideMatch, type MatchDecision, prepareCandidate } from '@refinery/matching';
import { candidate, contact, nicknames, people } from './fixtures';

function matchedId(decision: MatchDecision): string | undefined {
  return decision.status === 'matched' ? decision.candidate.id : undefined;
}

describe('exact matches', () => {
  it('matches a shared e-mail when the names are compatible', () => {
    const decision = decideMatch(contact({ first_name: 'Jon', last_name: 'Smith', email: 'John.Smith@acme.example' }), [people.johnSmith], nicknames);
    expect(decision).toMatchObject({ status: 'matched', method: 'exact', candidate: people.johnSmith });
    expect(decision.reason).toBe('e-mail equal; name "Jon Smith" ~ "John Smith" (0.97)');
  });

  it('matches a shared phone in another format', () => {
    const decision = decideMatch(contact({ first_name: 'John', last_name: 'Smith', phone: '(415) 555-0134' }), [people.johnSmith], nicknames);
    expect(decision).toMatchObject({ status: 'matched', method: 'exact' });
    expect(decision.reason).toMatch(/^phone equal; /);
  });

  it('accepts a nickname or an initial as a compatible first name when an identifier is shared', () => {
    const bob = decideMatch(contact({ first_name: 'Bob', last_name: 'Jones', email: 'rjones@initech.example' }), [people.robertJones], nicknames);
    expect(bob).toMatchObject({ status: 'matched', method: 'exact' });
    expect(bob.reason).toContain('nickname');
    const initial = decideMatch(contact({ first_name: 'J.', last_name: 'Smith', email: 'john.smith@acme.example' }), [people.johnSmith], nicknames);
    expect(initial).toMatchObject({ status: 'matched', method: 'exact' });
    expect(initial.reason).toContain('first name is an initial');
  });

  it('does not match a shared family e-mail to a different first name', () => {
    const decision = decideMatch(contact({ first_name: 'Tom', last_name: 'Smith', email: 'smiths@home.example' }), [people.janeSmith], nicknames);
    expect(decision.status).toBe('unmatched');
    expect(decision.reason).toMatch(/^best "Jane Smith" \(name 0\.\d\d\) shares the e-mail but its first name \(0\.\d\d\) is not compatible$/);
  });

  it('does not match a shared phone to a different last name', () => {
    const decision = decideMatch(contact({ first_name: 'John', last_name: 'Baker', phone: '+14155550134' }), [people.johnSmith], nicknames);
    expect(decision.status).toBe('unmatched');
    expect(decision.reason).toContain('shares the phone but its last name');
  });

  it('prefers a shared identifier to a name backed by more fields', () => {
    const sparse = candidate('sparse', { first_name: 'John', last_name: 'Smith', email: 'john.smith@acme.example' });
    const namesake = candidate('namesake', {
      first_name: 'John',
      last_name: 'Smith',
      company: 'Acme',
      title: 'Engineer',
      street: '1 Market St',
      postcode: '94105',
    });
    const subject = contact({
      first_name: 'John',
      last_name: 'Smith',
      email: 'john.smith@acme.example',
      company: 'Acme',
      title: 'Engineer',
      street: '1 Market Street',
      postcode: '94105',
    });
    const decision = decideMatch(subject, [namesake, sparse], nicknames);
    expect(decision).toMatchObject({ status: 'matched', method: 'exact', candidate: { id: 'sparse' } });
    expect(decision.reason).toMatch(/preferred over "John Smith" \((0\.\d\d)\)$/);
    const namesakeScore = Number(/\((0\.\d\d)\)$/.exec(decision.reason)?.[1]);
    expect(namesakeScore).toBeGreaterThan(decision.score);
  });

  it('prefers an exact match over a fuzzy one', () => {
    const namesake = candidate('other-john', { first_name: 'John', last_name: 'Smith', company: 'Acme', title: 'Engineer', street: '1 Market St' });
    const decision = decideMatch(
      contact({
        first_name: 'John',
        last_name: 'Smith',
        email: 'john.smith@acme.example',
        company: 'Acme',
        title: 'Engineer',
        street: '1 Market Street',
      }),
      [namesake, people.johnSmith],
      nicknames,
    );
    expect(decision).toMatchObject({ status: 'matched', method: 'exact', candidate: people.johnSmith });
  });
});

describe('fuzzy matches', () => {
  it('matches a first-name typo with a corroborating field', () => {
    const decision = decideMatch(
      contact({ first_name: 'Jhon', last_name: 'Smith', email: 'old@mail.example', company: 'ACME Inc' }),
      [people.johnSmith],
      nicknames,
    );
    expect(decision).toMatchObject({ status: 'matched', method: 'fuzzy' });
    expect(decision.reason).toMatch(/^name "Jhon Smith" ~ "John Smith" \(0\.\d\d\); company equal$/);
  });

  it('matches a transposed last name', () => {
    const decision = decideMatch(contact({ first_name: 'John', last_name: 'Smtih', street: '1 Market St.' }), [people.johnSmith], nicknames);
    expect(decision).toMatchObject({ status: 'matched', method: 'fuzzy' });
  });

  it('ignores accents and case', () => {
    const decision = decideMatch(contact({ first_name: 'JOSE', last_name: 'nunez', company: 'Umbrella Corp' }), [people.joseNunez], nicknames);
    expect(decision).toMatchObject({ status: 'matched', method: 'fuzzy', score: expect.any(Number) });
    expect(decision.reason).toContain('(1.00)');
  });

  it('matches hyphenated, spaced and partial compound last names', () => {
    for (const lastName of ['Garcia Lopez', 'GarciaLopez', 'Garcia', 'Lopez']) {
      const decision = decideMatch(
        contact({ first_name: 'Maria', last_name: lastName, street: '5 Calle Mayor' }),
        [people.mariaGarciaLopez],
        nicknames,
      );
      expect(decision).toMatchObject({ status: 'matched', method: 'fuzzy' });
    }
  });

  it('matches spelling variants whose initials differ', () => {
    const decision = decideMatch(
      contact({ first_name: 'Katherine', last_name: 'Wilson', postcode: '02134', title: 'nurse' }),
      [people.kateWilson],
      nicknames,
    );
    expect(decision).toMatchObject({ status: 'matched', method: 'fuzzy' });
  });

  it('counts city only together with state, and a town alone is not enough', () => {
    const cityOnly = decideMatch(
      contact({ first_name: 'Jon', last_name: 'Smyth', city: 'Austin', company: 'Initech' }),
      [people.johnSmyth],
      nicknames,
    );
    expect(cityOnly.reason).not.toContain('city');
    const townOnly = decideMatch(contact({ first_name: 'Jon', last_name: 'Smyth', city: 'Austin', state: 'Texas' }), [people.johnSmyth], nicknames);
    expect(townOnly.status).toBe('unmatched');
    expect(townOnly.reason).toContain('has too little corroboration (only city+state equal: 0.15, 0.3 needed)');
    const withEmployer = decideMatch(
      contact({ first_name: 'Jon', last_name: 'Smyth', city: 'Austin', state: 'Texas', company: 'Initech' }),
      [people.johnSmyth],
      nicknames,
    );
    expect(withEmployer).toMatchObject({ status: 'matched', method: 'fuzzy' });
    expect(withEmployer.reason).toContain('company, city+state equal');
  });

  it('does not take a namesake who shares only a job title or only a town for the same person', () => {
    const namesake = candidate('namesake', {
      first_name: 'James',
      last_name: 'Brown',
      title: 'Accountant',
      city: 'Dallas',
      state: 'TX',
      email: 'jb@one.example',
    });
    for (const extra of [{ title: 'accountant' }, { city: 'Dallas', state: 'TX' }, { title: 'Accountant', city: 'Dallas', state: 'Texas' }]) {
      const decision = decideMatch(contact({ first_name: 'James', last_name: 'Brown', email: 'james@two.example', ...extra }), [namesake], nicknames);
      expect(decision.status).toBe('unmatched');
      expect(decision.reason).toContain('has too little corroboration');
    }
    const twoPlaces = decideMatch(
      contact({ first_name: 'James', last_name: 'Brown', title: 'Accountant', postcode: '75201' }),
      [candidate('namesake', { first_name: 'James', last_name: 'Brown', title: 'Accountant', postcode: '75201' })],
      nicknames,
    );
    expect(twoPlaces).toMatchObject({ status: 'matched', method: 'fuzzy' });
  });

  it('does not match names below the similarity thresholds', () => {
    const decision = decideMatch(contact({ first_name: 'Joan', last_name: 'Smith', company: 'Acme' }), [people.johnSmith], nicknames);
    expect(decision.status).toBe('unmatched');
    expect(decision.reason).toContain('has a different first name');
  });

  it('does not take a related name of the other gender for the same person', () => {
    const decision = decideMatch(contact({ first_name: 'Paul', last_name: 'Brown', street: '9 Oak Rd' }), [people.paulaBrown], nicknames);
    expect(decision.status).toBe('unmatched');
    expect(decision.reason).toContain('related but distinct first name');
  });

  it.each([
    ['Daniel', 'Danielle'],
    ['Mario', 'Maria'],
    ['Michael', 'Michelle'],
    ['George', 'Georgia'],
    ['Carl', 'Carol'],
  ])('does not take %s for %s', (mine, theirs) => {
    const other = candidate('other', { first_name: theirs, last_name: 'Brown', street: '9 Oak Road' });
    expect(decideMatch(contact({ first_name: mine, last_name: 'Brown', street: '9 Oak Road' }), [other], nicknames).status).toBe('unmatched');
  });

  it.each([
    ['Ann', 'Anne'],
    ['Michele', 'Michelle'],
  ])('still takes %s for %s: a spelling variant, not a counterpart', (mine, theirs) => {
    const other = candidate('other', { first_name: theirs, last_name: 'Brown', street: '9 Oak Road' });
    expect(decideMatch(contact({ first_name: mine, last_name: 'Brown', street: '9 Oak Road' }), [other], nicknames).status).toBe('matched');
  });

  it('declines when the birth dates differ, however much else agrees', () => {
    const decision = decideMatch(
      contact({ first_name: 'Michael', last_name: 'Miller', company: 'Hooli', birth_date: '03/01/2004' }),
      [people.michaelMiller],
      nicknames,
    );
    expect(decision.status).toBe('unmatched');
    expect(decision.reason).toContain('has a different birth_date');
  });
});

describe('nickname matches', () => {
  it('matches a nickname with an equal last name and a corroborating field', () => {
    const decision = decideMatch(contact({ first_name: 'Bob', last_name: 'Jones', company: 'Initech' }), [people.robertJones], nicknames);
    expect(decision).toMatchObject({ status: 'matched', method: 'nickname', candidate: people.robertJones });
    expect(decision.reason).toBe('name "Bob Jones" ~ "Robert Jones" (0.95, nickname); company equal');
  });

  it('matches in the other direction too', () => {
    const bobby = candidate('bobby', { first_name: 'Bobby', last_name: 'Jones', company: 'Initech' });
    const decision = decideMatch(contact({ first_name: 'Robert', last_name: 'Jones', company: 'Initech' }), [bobby], nicknames);
    expect(decision).toMatchObject({ status: 'matched', method: 'nickname' });
  });

  it('needs corroboration: a nickname alone is not proof', () => {
    const decision = decideMatch(contact({ first_name: 'Bob', last_name: 'Jones', company: 'Vandelay' }), [people.robertJones], nicknames);
    expect(decision.status).toBe('unmatched');
    expect(decision.reason).toContain('has no corroborating field');
  });

  it('needs the last names to be equal, not just similar', () => {
    const decision = decideMatch(contact({ first_name: 'Bob', last_name: 'Jonse', company: 'Initech' }), [people.robertJones], nicknames);
    expect(decision.status).toBe('unmatched');
    expect(decision.reason).toContain('nickname with a differently spelled last name');
  });

  it('does not combine a nickname with a compound last name only partly shared', () => {
    const jim = candidate('jim', { first_name: 'Jim', last_name: 'Flores', title: 'Buyer', postcode: '10001' });
    const decision = decideMatch(contact({ first_name: 'James', last_name: 'Flores-Sanders', title: 'Buyer', postcode: '10001' }), [jim], nicknames);
    expect(decision.status).toBe('unmatched');
    expect(decision.reason).toContain('nickname with a partly different last name');
  });

  it('declines an ambiguous nickname when two people it may stand for agree equally', () => {
    const robert = candidate('robert', { first_name: 'Robert', last_name: 'Jones', company: 'Initech' });
    const bert = candidate('bert', { first_name: 'Bert', last_name: 'Jones', company: 'Initech' });
    const decision = decideMatch(contact({ first_name: 'Bob', last_name: 'Jones', company: 'Initech' }), [robert, bert], nicknames);
    expect(decision.status).toBe('unmatched');
    expect(decision.reason).toMatch(
      /^ambiguous: "Robert Jones" \(id robert, 0\.\d\d\) and "Bert Jones" \(id bert, 0\.\d\d\) are within 0\.05 of each other/,
    );
  });
});

describe('typing slips beside a shared identifier', () => {
  const pam = candidate('pam', {
    first_name: 'Pam',
    last_name: 'Cox',
    email: 'pam.cox@home.example',
    phone: '+1 212 555 0101',
    birth_date: '1970-03-04',
    street: '3 Elm St',
  });

  it('believes one slip in a name when a personal detail agrees too', () => {
    const swapped = decideMatch(
      contact({ first_name: 'Pma', last_name: 'Cox', email: 'PAM.COX@home.example', birth_date: '03/04/1970' }),
      [pam],
      nicknames,
    );
    expect(swapped).toMatchObject({ status: 'matched', method: 'exact', candidate: { id: 'pam' } });
    expect(swapped.reason).toContain('one typing slip in the first name');
    const lastName = decideMatch(
      contact({ first_name: 'Pam', last_name: 'Cxo', phone: '(212) 555-0101', birth_date: '1970-03-04' }),
      [pam],
      nicknames,
    );
    expect(lastName).toMatchObject({ status: 'matched', method: 'exact' });
    expect(lastName.reason).toContain('one typing slip in the last name');
  });

  it('declines a slip that only the household backs: a phone and a street are shared by a family', () => {
    const decision = decideMatch(contact({ first_name: 'Pat', last_name: 'Cox', phone: '212-555-0101', street: '3 Elm Street' }), [pam], nicknames);
    expect(decision.status).toBe('unmatched');
    expect(decision.reason).toContain('shares the phone but its first name');
  });

  it('prefers the person whose name fits over a twin one slip away, instead of calling it a close call', () => {
    const shared = { last_name: 'Cox', phone: '+1 212 555 0101', birth_date: '2001-05-06', street: '3 Elm St' };
    const hayden = candidate('hayden', { first_name: 'Hayden', ...shared });
    const jayden = candidate('jayden', { first_name: 'Jayden', ...shared });
    for (const candidates of [
      [hayden, jayden],
      [jayden, hayden],
    ]) {
      const decision = decideMatch(contact({ first_name: 'Hayden', ...shared }), candidates, nicknames);
      expect(decision).toMatchObject({ status: 'matched', method: 'exact', candidate: { id: 'hayden' } });
      expect(decision.reason).toContain('preferred over "Jayden Cox"');
    }
  });

  it('declines two slips, or a slip in both names', () => {
    const twoSlips = decideMatch(
      contact({ first_name: 'Pmaa', last_name: 'Cox', email: 'pam.cox@home.example', birth_date: '1970-03-04' }),
      [pam],
      nicknames,
    );
    expect(twoSlips.status).toBe('unmatched');
    const both = decideMatch(
      contact({ first_name: 'Pma', last_name: 'Cxo', email: 'pam.cox@home.example', birth_date: '1970-03-04' }),
      [pam],
      nicknames,
    );
    expect(both.status).toBe('unmatched');
  });
});

describe('typing slips without a shared identifier', () => {
  const pam = candidate('pam', {
    first_name: 'Pam',
    last_name: 'Cox',
    email: 'pam.cox@new.example',
    birth_date: '1970-03-04',
    street: '3 Elm St',
    postcode: '10001',
  });

  it('believes one slip when the other name is spelled alike and a birth date and more agree', () => {
    const decision = decideMatch(
      contact({ first_name: 'Pma', last_name: 'Cox', email: 'old@old.example', birth_date: '1970-03-04', street: '3 Elm Street' }),
      [pam],
      nicknames,
    );
    expect(decision).toMatchObject({ status: 'matched', method: 'fuzzy', candidate: { id: 'pam' } });
    expect(decision.reason).toContain('one typing slip in the first name');
  });

  it('declines it with a birth date alone, without a birth date, or with the other name misspelt too', () => {
    const birthDateOnly = contact({ first_name: 'Pma', last_name: 'Cox', birth_date: '1970-03-04' });
    const noBirthDate = contact({ first_name: 'Pma', last_name: 'Cox', street: '3 Elm St', postcode: '10001' });
    const otherMisspelt = contact({ first_name: 'Pma', last_name: 'Coxx', birth_date: '1970-03-04', street: '3 Elm St' });
    for (const subject of [birthDateOnly, noBirthDate, otherMisspelt]) {
      expect(decideMatch(subject, [pam], nicknames).status).toBe('unmatched');
    }
  });

  it('prefers the fitting name over a twin one slip away', () => {
    const shared = { last_name: 'Cox', birth_date: '2001-05-06', street: '3 Elm St' };
    const decision = decideMatch(
      contact({ first_name: 'Hayden', ...shared }),
      [candidate('jayden', { first_name: 'Jayden', ...shared }), candidate('hayden', { first_name: 'Hayden', ...shared })],
      nicknames,
    );
    expect(decision).toMatchObject({ status: 'matched', method: 'fuzzy', candidate: { id: 'hayden' } });
  });
});

describe('provider confidence', () => {
  const vouched = (confidence: number) => ({
    ...candidate('pdl-1', { first_name: 'Robert', last_name: 'Jones', email: 'rj@new.example' }),
    confidence,
  });

  it('counts a provider that matched the person itself as corroboration, and says so', () => {
    const decision = decideMatch(contact({ first_name: 'Robert', last_name: 'Jones', email: 'old@old.example' }), [vouched(0.8)], nicknames);
    expect(decision).toMatchObject({ status: 'matched', method: 'fuzzy', candidate: { id: 'pdl-1' } });
    expect(decision.reason).toContain('provider confidence 0.80');
  });

  it('does not let a weakly confident answer or an incompatible name through', () => {
    const weak = decideMatch(contact({ first_name: 'Robert', last_name: 'Jones', email: 'old@old.example' }), [vouched(0.4)], nicknames);
    expect(weak.status).toBe('unmatched');
    expect(weak.reason).toContain('provider confidence 0.40');
    const otherName = decideMatch(contact({ first_name: 'Mary', last_name: 'Jones', email: 'old@old.example' }), [vouched(1)], nicknames);
    expect(otherName.status).toBe('unmatched');
  });

  it('raises the score with the confidence', () => {
    const subject = contact({ first_name: 'Robert', last_name: 'Jones', email: 'old@old.example' });
    expect(decideMatch(subject, [vouched(0.9)], nicknames).score).toBeGreaterThan(decideMatch(subject, [vouched(0.7)], nicknames).score);
  });
});

describe('ranking', () => {
  it('lets the evidence, not the method, decide between a fuzzy and a nickname candidate', () => {
    const lookAlike = candidate('look-alike', { first_name: 'Jose', last_name: 'Harelstein', company: 'Hooli' });
    const joshua = candidate('joshua', { first_name: 'Joshua', last_name: 'Harelez', company: 'Hooli', postcode: '90080' });
    const decision = decideMatch(
      contact({ first_name: 'Jos', last_name: 'Harelez', company: 'Hooli', postcode: '90080' }),
      [lookAlike, joshua],
      nicknames,
    );
    expect(decision).toMatchObject({ status: 'matched', method: 'nickname', candidate: { id: 'joshua' } });
    expect(decision.reason).toContain('preferred over "Jose Harelstein"');
  });
});

describe('look-alikes and close calls', () => {
  it('does not match a look-alike with nothing else in common', () => {
    const decision = decideMatch(
      contact({ first_name: 'John', last_name: 'Smith', email: 'js@other.example', company: 'Vandelay' }),
      [people.johnSmyth],
      nicknames,
    );
    expect(decision).toEqual({
      status: 'unmatched',
      score: expect.any(Number),
      reason: 'no candidate shares an identifier; best "John Smyth" (name 0.95) has no corroborating field',
    });
  });

  it('says so when there are no candidates', () => {
    expect(decideMatch(contact({ first_name: 'A', last_name: 'B', city: 'C' }), [], nicknames)).toEqual({
      status: 'unmatched',
      score: 0,
      reason: 'the provider returned no candidates',
    });
  });

  it('declines two candidates that are too close to call', () => {
    const first = candidate('a', { first_name: 'John', last_name: 'Smith', company: 'Acme' });
    const second = candidate('b', { first_name: 'John', last_name: 'Smith', company: 'Acme Inc.' });
    const decision = decideMatch(contact({ first_name: 'John', last_name: 'Smith', company: 'ACME' }), [first, second], nicknames);
    expect(decision.status).toBe('unmatched');
    expect(decision.reason).toContain('ambiguous');
    expect(decision.reason).toContain('declined rather than guess');
  });

  it('picks the clearly better of two candidates, in either order', () => {
    const weaker = candidate('weaker', { first_name: 'John', last_name: 'Smith', city: 'San Francisco', state: 'CA', postcode: '94105' });
    const stronger = candidate('stronger', {
      first_name: 'John',
      last_name: 'Smith',
      city: 'San Francisco',
      state: 'CA',
      postcode: '94105',
      company: 'Acme',
    });
    const subject = contact({
      first_name: 'John',
      last_name: 'Smith',
      city: 'San Francisco',
      state: 'California',
      postcode: '94105',
      company: 'Acme',
    });
    for (const candidates of [
      [weaker, stronger],
      [stronger, weaker],
    ]) {
      const decision = decideMatch(subject, candidates, nicknames);
      expect(matchedId(decision)).toBe('stronger');
      expect(decision.reason).toContain('preferred over "John Smith"');
    }
  });

  it('lets the caller widen the margin so that a clear lead becomes too close', () => {
    const weaker = candidate('weaker', { first_name: 'John', last_name: 'Smith', city: 'San Francisco', state: 'CA', postcode: '94105' });
    const stronger = candidate('stronger', {
      first_name: 'John',
      last_name: 'Smith',
      city: 'San Francisco',
      state: 'CA',
      postcode: '94105',
      company: 'Acme',
    });
    const subject = contact({ first_name: 'John', last_name: 'Smith', city: 'San Francisco', state: 'CA', postcode: '94105', company: 'Acme' });
    expect(decideMatch(subject, [weaker, stronger], nicknames, { ambiguityMargin: 0.5 }).status).toBe('unmatched');
  });
});

describe('thresholds', () => {
  it('has documented defaults that cannot be changed by accident', () => {
    expect(DEFAULT_THRESHOLDS).toEqual({
      firstNameSimilarity: 0.9,
      lastNameSimilarity: 0.88,
      minCorroboration: 0.3,
      minTypoCorroboration: 0.6,
      ambiguityMargin: 0.05,
    });
    expect(Object.isFrozen(DEFAULT_THRESHOLDS)).toBe(true);
  });

  it('can ask for more corroboration', () => {
    const subject = contact({ first_name: 'Jon', last_name: 'Smith', company: 'Acme' });
    expect(decideMatch(subject, [people.johnSmith], nicknames).status).toBe('matched');
    const strict = decideMatch(subject, [people.johnSmith], nicknames, { minCorroboration: 0.5 });
    expect(strict.status).toBe('unmatched');
    expect(strict.reason).toContain('has too little corroboration (only company equal: 0.35, 0.5 needed)');
  });

  it('can loosen the name similarity', () => {
    const subject = contact({ first_name: 'Joan', last_name: 'Smith', company: 'Acme' });
    expect(decideMatch(subject, [people.johnSmith], nicknames, { firstNameSimilarity: 0.85 }).status).toBe('matched');
    const smyth = contact({ first_name: 'John', last_name: 'Smyth', company: 'Acme' });
    expect(decideMatch(smyth, [people.johnSmith], nicknames, { lastNameSimilarity: 0.95 }).status).toBe('unmatched');
  });
});

describe('score', () => {
  const full = {
    email: 'john.smith@acme.example',
    phone: '+14155550134',
    company: 'Acme',
    title: 'Engineer',
    street: '1 Market St',
    city: 'San Francisco',
    state: 'CA',
    postcode: '94105-0001',
    birth_date: '02/01/1980',
  } as const;

  it('never falls when an agreeing field is added, whatever the order', () => {
    const orders = [
      Object.keys(full),
      Object.keys(full).reverse(),
      ['company', 'email', 'postcode', 'title', 'phone', 'street', 'city', 'state', 'birth_date'],
    ];
    for (const order of orders) {
      let fields: Record<string, string> = { first_name: 'Jon', last_name: 'Smith' };
      let previous = decideMatch(contact(fields), [people.johnSmith, people.johnSmyth], nicknames).score;
      for (const field of order) {
        fields = { ...fields, [field]: full[field as keyof typeof full] };
        const score = decideMatch(contact(fields), [people.johnSmith, people.johnSmyth], nicknames).score;
        expect(score).toBeGreaterThanOrEqual(previous);
        expect(score).toBeLessThanOrEqual(1);
        previous = score;
      }
    }
  });

  it('rises with every agreeing field and with name similarity', () => {
    const one = decideMatch(contact({ first_name: 'John', last_name: 'Smith', company: 'Acme' }), [people.johnSmith], nicknames).score;
    const two = decideMatch(
      contact({ first_name: 'John', last_name: 'Smith', company: 'Acme', title: 'Engineer' }),
      [people.johnSmith],
      nicknames,
    ).score;
    const typo = decideMatch(
      contact({ first_name: 'Jhon', last_name: 'Smith', company: 'Acme', title: 'Engineer' }),
      [people.johnSmith],
      nicknames,
    ).score;
    expect(two).toBeGreaterThan(one);
    expect(typo).toBeLessThan(two);
    expect(one).toBeGreaterThan(0);
  });
});

describe('prepared candidates', () => {
  it('decide the same as plain ones and look the same from outside', () => {
    const prepared = prepareCandidate(people.johnSmith);
    expect(prepared).toEqual(people.johnSmith);
    expect(JSON.stringify(prepared)).toBe(JSON.stringify(people.johnSmith));
    expect({ ...prepared }).toStrictEqual(people.johnSmith);
    expect({ ...prepareCandidate({ id: 'x', fields: {}, updatedAt: '2024-01-01' }) }).toStrictEqual({ id: 'x', fields: {}, updatedAt: '2024-01-01' });
    const subject = contact({ first_name: 'Jon', last_name: 'Smith', company: 'Acme' });
    const fromPrepared = decideMatch(subject, [prepared], nicknames);
    expect({ ...fromPrepared, candidate: undefined }).toEqual({ ...decideMatch(subject, [people.johnSmith], nicknames), candidate: undefined });
  });
});
