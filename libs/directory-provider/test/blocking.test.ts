import { type ContactFields, standardizeContact } from '@refinery/contacts';
import { DirectoryProvider } from '@refinery/directory-provider';
import type { Candidate } from '@refinery/matching';
import { loadBundledNicknames } from '@refinery/nicknames';

// The keys that need one name or none (libs/directory-provider/src/block-keys.ts detailKeys and swappedNameKey): each
// contact below lacks what the name keys need, so only those keys can bring its person back.
const nicknames = loadBundledNicknames();

function person(id: string, fields: ContactFields): Candidate {
  return { id, fields: standardizeContact(fields) };
}

const alice = person('alice', {
  first_name: 'Alice',
  last_name: 'Nguyen',
  street: '27 Sinclair St',
  city: 'Burwood',
  state: 'NSW',
  postcode: '2134',
  birth_date: '1961-04-09',
});
const john = person('john', { first_name: 'John', last_name: 'Burke', city: 'Denver', state: 'CO', postcode: '80202' });

// Neighbours, namesakes and people born the same day, so a key that is too broad would show.
const others = [
  person('n1', {
    first_name: 'Beth',
    last_name: 'Nguyen',
    street: '27 Sinclair St',
    city: 'Burwood',
    state: 'NSW',
    postcode: '2134',
    birth_date: '1963-01-02',
  }),
  person('n2', { first_name: 'Alice', last_name: 'Smith', city: 'Perth', state: 'WA', postcode: '6000', birth_date: '1980-05-05' }),
  person('n3', { first_name: 'Tom', last_name: 'Ward', city: 'Ryde', state: 'NSW', postcode: '2112', birth_date: '1961-04-09' }),
  person('n4', { first_name: 'Alan', last_name: 'Nguyen', city: 'Hobart', state: 'TAS', postcode: '7000', birth_date: '1990-12-12' }),
  person('n5', { first_name: 'Jane', last_name: 'Burke', city: 'Denver', state: 'CO', postcode: '80202' }),
  person('n6', { first_name: 'John', last_name: 'Brook', city: 'Boston', state: 'MA', postcode: '02134' }),
  person('lila', { first_name: 'Lila Holly', last_name: 'Brown', city: 'Austin', state: 'TX', postcode: '78701', birth_date: '1988-03-04' }),
];

const provider = DirectoryProvider.fromRecords([alice, john, ...others], { nicknames });

function idsFor(fields: ContactFields): string[] {
  return provider.candidatesFor(standardizeContact(fields)).map((candidate) => candidate.id);
}

describe('blocking a two-word first name entered in the last name field', () => {
  it('finds "Brown, Lila Holly" under the person filed as Lila Holly Brown (the whole first name, and its first word)', () => {
    expect(idsFor({ first_name: 'Brown', last_name: 'Lila Holly', city: 'Austin' })).toContain('lila');
    expect(idsFor({ first_name: 'Brown', last_name: 'Lila', city: 'Austin' })).toContain('lila');
  });
});

describe('blocking without both names', () => {
  it('finds a row missing its first name by birth date and postcode, or surname and postcode', () => {
    expect(idsFor({ last_name: 'Nguyen', birth_date: '1961-04-09', postcode: '2134' })[0]).toBe('alice');
    expect(idsFor({ last_name: 'Nguyen', postcode: '2134' })).toEqual(expect.arrayContaining(['alice', 'n1']));
    expect(idsFor({ birth_date: '1961-04-09', street: '27 Sinclair St', postcode: '2134' })[0]).toBe('alice');
  });

  it('finds a row missing its last name by first name and birth date', () => {
    expect(idsFor({ first_name: 'Alice', birth_date: '1961-04-09', city: 'Burwood' })).toEqual(['alice']);
  });

  it('finds a row by house number and street alone', () => {
    expect(idsFor({ last_name: 'Nguyen', street: '27 Sinclair Street' })).toEqual(expect.arrayContaining(['alice', 'n1']));
  });

  it('finds first and last name entered the other way round', () => {
    expect(idsFor({ first_name: 'Nguyen', last_name: 'Alice', city: 'Burwood' })).toEqual(['alice']);
  });

  it('finds a person whose surname changed, by first name and birth date', () => {
    expect(idsFor({ first_name: 'Alice', last_name: 'Brennan', birth_date: '1961-04-09', city: 'Sydney' })).toEqual(['alice']);
  });

  it('finds both names misspelt the way they sound (Jon Berk / John Burke), which no one-name key finds', () => {
    // Berk and Burke are two edits apart and end differently: neither the surname, one-letter-off nor Soundex +
    // last-letter keys hold both; the sounds of both names do (and, being broad, also Jane Burke and John Brook).
    expect(idsFor({ first_name: 'Jon', last_name: 'Berk', city: 'Austin' })).toEqual(expect.arrayContaining(['john', 'n5', 'n6']));
    expect(idsFor({ first_name: 'Jon', last_name: 'Berk', city: 'Austin', postcode: '80202' })[0]).toBe('john');
  });

  it('still returns nothing for a stranger', () => {
    expect(idsFor({ first_name: 'Zebedee', last_name: 'Quux', postcode: '9999', birth_date: '2001-01-01' })).toEqual([]);
  });
});
