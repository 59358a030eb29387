import { type ContactFields, standardizeContact } from '@refinery/contacts';
import { DirectoryProvider } from '@refinery/directory-provider';
import { type Candidate, decideMatch, priorModel } from '@refinery/matching';
import { loadBundledNicknames } from '@refinery/nicknames';
import { DIRECTORY_CSV, withTempFile } from './fixtures';

const nicknames = loadBundledNicknames();

function loadFixture(options = {}): Promise<DirectoryProvider> {
  return withTempFile('directory.csv', `\uFEFF${DIRECTORY_CSV}`, (path) => DirectoryProvider.fromFile(path, options));
}

async function candidatesOf(provider: DirectoryProvider, fields: ContactFields): Promise<Candidate[]> {
  const [candidates] = await provider.findCandidates([standardizeContact(fields)]);
  return candidates ?? [];
}

async function idsFor(provider: DirectoryProvider, fields: ContactFields): Promise<string[]> {
  return (await candidatesOf(provider, fields)).map((candidate) => candidate.id);
}

function person(id: string, fields: ContactFields): Candidate {
  return { id, fields: standardizeContact(fields) };
}

describe('DirectoryProvider.fromFile', () => {
  let provider: DirectoryProvider;
  beforeAll(async () => {
    provider = await loadFixture();
  });

  it('loads every person and names itself', () => {
    expect(provider.size).toBe(26);
    expect(provider.name).toBe('directory');
  });

  it('reads quoted fields, commas, doubled quotes and line breaks included, and standardizes them', async () => {
    const [john, jane, michael] = (
      await provider.findCandidates([
        { first_name: 'John', last_name: 'Smith', email: 'john.smith@acme.example' },
        { first_name: 'Jane', last_name: 'Smith', email: 'smiths@home.example' },
        { first_name: 'Michael', last_name: 'Miller', email: 'mm@hooli.example' },
      ])
    ).map((candidates) => candidates[0]);
    expect(john).toEqual({
      id: 'p01',
      updatedAt: '2024-05-01',
      fields: {
        first_name: 'John',
        last_name: 'Smith',
        email: 'john.smith@acme.example',
        phone: '+14155550134',
        company: 'Acme, Inc.',
        title: 'Engineer',
        street: '1 Market Street',
        city: 'San Francisco',
        state: 'CA',
        postcode: '94105',
        country: 'US',
        birth_date: '1980-02-01',
      },
    });
    expect(jane?.fields.title).toBe('Head of "Special" Projects');
    expect(jane?.fields.birth_date).toBeUndefined();
    expect(michael?.fields.street).toBe('12 Broadway Floor 3');
  });

  it('reads national phone numbers in the country of the person', async () => {
    const [william] = await candidatesOf(provider, { first_name: 'William', last_name: 'Taylor', email: 'bill@taylor.example' });
    expect(william?.fields).toMatchObject({ phone: '+442079460958', country: 'GB', postcode: 'SW1A 1AA' });
  });

  it('answers one list per contact, in order', async () => {
    const lists = await provider.findCandidates([
      { first_name: 'Anna', last_name: 'Lee', email: 'anna.lee@example.com' },
      { first_name: 'Nobody', last_name: 'Atall', email: 'nobody@nowhere.example' },
      { first_name: 'Betty', last_name: 'King', city: 'Boston' },
    ]);
    expect(lists.map((list) => list.map((candidate) => candidate.id))).toEqual([['p17'], [], ['p25']]);
  });

  it('rejects a file without the directory header', async () => {
    await expect(withTempFile('bad.csv', 'name,mail\nJohn,j@x.example\n', (path) => DirectoryProvider.fromFile(path))).rejects.toThrow(
      /header lacks id, first_name, last_name/,
    );
  });

  it('rejects a person without an id, naming the row', async () => {
    const csv = 'id,first_name,last_name\np1,Ada,Lovelace\n,Grace,Hopper\n';
    await expect(withTempFile('no-id.csv', csv, (path) => DirectoryProvider.fromFile(path))).rejects.toThrow(/row 2: missing id/);
  });

  it('rejects duplicate ids', async () => {
    const csv = 'id,first_name,last_name\np1,Ada,Lovelace\np1,Grace,Hopper\n';
    await expect(withTempFile('dupes.csv', csv, (path) => DirectoryProvider.fromFile(path))).rejects.toThrow(/duplicate directory id "p1"/);
  });

  it('rejects a ragged row', async () => {
    const csv = 'id,first_name,last_name,email\np1,Ada,Lovelace,ada@example.com\np2,Grace,Hopper\n';
    await expect(withTempFile('ragged.csv', csv, (path) => DirectoryProvider.fromFile(path))).rejects.toThrow(/Invalid Record Length/);
  });

  it('rejects an empty file', async () => {
    await expect(withTempFile('empty.csv', '', (path) => DirectoryProvider.fromFile(path))).rejects.toThrow(/the file is empty/);
  });

  it('accepts columns in any order and ignores unknown ones', async () => {
    const csv = 'notes,last_name,email,first_name,id\nvip,Lovelace,ADA@example.com,Ada,p1\n';
    const provider = await withTempFile('reordered.csv', csv, (path) => DirectoryProvider.fromFile(path));
    expect(await candidatesOf(provider, { first_name: 'A', last_name: 'B', email: 'ada@example.com' })).toEqual([
      { id: 'p1', fields: { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' } },
    ]);
  });

  it('fails on a missing file', async () => {
    await expect(DirectoryProvider.fromFile('/nonexistent/directory.csv')).rejects.toThrow(/ENOENT/);
  });
});

describe('candidate retrieval', () => {
  let provider: DirectoryProvider;
  beforeAll(async () => {
    provider = await loadFixture();
  });

  it('finds a person by e-mail whatever the name', async () => {
    expect(await idsFor(provider, { first_name: 'Someone', last_name: 'Else', email: 'JSMYTH@initech.example' })).toEqual(['p03']);
  });

  it('finds a person by phone digits in any format', async () => {
    expect(await idsFor(provider, { first_name: 'Someone', last_name: 'Else', phone: '303.555.0123' })).toEqual(['p16']);
  });

  it('finds people by folded last name despite a first-name typo', async () => {
    expect(await idsFor(provider, { first_name: 'Elisabeth', last_name: 'DAVIS', city: 'Seattle' })).toEqual(['p14']);
  });

  it('finds a spelling variant of the first name across initials', async () => {
    expect(await idsFor(provider, { first_name: 'Katherine', last_name: 'Wilson', city: 'Cambridge' })).toEqual(['p09']);
  });

  it('finds people by the sound of the last name', async () => {
    expect(await idsFor(provider, { first_name: 'Tomas', last_name: 'Whyte', city: 'Atlanta' })).toEqual(['p18']);
  });

  it('finds a last name with a transposed letter that changes the sound code', async () => {
    expect(await idsFor(provider, { first_name: 'Linda', last_name: 'Hernadnez', city: 'Phoenix' })).toEqual(['p11']);
  });

  it('finds a last name with a missing letter that changes the sound code', async () => {
    const provider = DirectoryProvider.fromRecords([person('b', { first_name: 'Michael', last_name: 'Barsaard', city: 'Portland' })], { nicknames });
    expect(await idsFor(provider, { first_name: 'Michael', last_name: 'Basaard', city: 'Portland' })).toEqual(['b']);
  });

  it('finds a last name with an extra or a replaced letter', async () => {
    const provider = DirectoryProvider.fromRecords([person('h', { first_name: 'Deborah', last_name: 'Harford', city: 'Phoenix' })], { nicknames });
    expect(await idsFor(provider, { first_name: 'Deborah', last_name: 'Harfford', city: 'Phoenix' })).toEqual(['h']);
    expect(await idsFor(provider, { first_name: 'Deborah', last_name: 'Harvord', city: 'Phoenix' })).toEqual(['h']);
  });

  it('finds a typo in the first letter of the first name through last name and birth date', async () => {
    const provider = DirectoryProvider.fromRecords(
      [person('pat', { first_name: 'Pat', last_name: 'Balderrama', birth_date: '1958-11-03', city: 'Chicago' })],
      { nicknames },
    );
    expect(await idsFor(provider, { first_name: 'Mat', last_name: 'Balderrama', birth_date: '11/03/1958' })).toEqual(['pat']);
    expect(await idsFor(provider, { first_name: 'Mat', last_name: 'Balderrama', city: 'Chicago' })).toEqual([]);
  });

  it('finds people by the nickname variants of the first name plus last name', async () => {
    expect(await idsFor(provider, { first_name: 'Peggy', last_name: 'Moore', city: 'Miami' })).toEqual(['p15']);
    expect(await idsFor(provider, { first_name: 'Bob', last_name: 'Jones', company: 'Initech' })).toEqual(expect.arrayContaining(['p05', 'p06']));
  });

  it('finds compound last names from either part, accents and hyphens ignored', async () => {
    expect(await idsFor(provider, { first_name: 'Maria', last_name: 'Garcia', city: 'Madrid' })).toEqual(['p07']);
    expect(await idsFor(provider, { first_name: 'Maria', last_name: 'Lopez', city: 'Madrid' })).toEqual(['p07']);
    expect(await idsFor(provider, { first_name: 'MARIA', last_name: 'garcia lopez', city: 'Madrid' })).toEqual(['p07']);
  });

  it('ranks the candidates best first', async () => {
    const ids = await idsFor(provider, { first_name: 'John', last_name: 'Smith', company: 'Acme', email: 'old@mail.example' });
    expect(ids[0]).toBe('p01');
    expect(ids).toEqual(expect.arrayContaining(['p01', 'p03', 'p04']));
    const smyth = await idsFor(provider, { first_name: 'John', last_name: 'Smith', company: 'Initech' });
    expect(smyth[0]).toBe('p03');
  });

  it('returns nothing for a stranger', async () => {
    expect(await idsFor(provider, { first_name: 'Zebedee', last_name: 'Quux', email: 'zq@example.com' })).toEqual([]);
  });
});

describe('DirectoryProvider.fromRecords', () => {
  const namesakes = Array.from({ length: 40 }, (_, index) =>
    person(`s${index}`, { first_name: 'John', last_name: 'Smith', postcode: String(10000 + index) }),
  );

  it('caps the candidate list, keeping the best', async () => {
    const provider = DirectoryProvider.fromRecords(namesakes, { maxCandidates: 5, nicknames });
    const ids = await idsFor(provider, { first_name: 'John', last_name: 'Smith', postcode: '10033' });
    expect(ids).toHaveLength(5);
    expect(ids[0]).toBe('s33');
  });

  it('keeps the first of equal candidates in look-up order when the list is full, a better one ahead of them', async () => {
    const provider = DirectoryProvider.fromRecords(namesakes, { maxCandidates: 3, nicknames });
    expect(await idsFor(provider, { first_name: 'John', last_name: 'Smith', city: 'X' })).toEqual(['s0', 's1', 's2']);
    expect(await idsFor(provider, { first_name: 'John', last_name: 'Smith', postcode: '10033' })).toEqual(['s33', 's0', 's1']);
    expect(await idsFor(provider, { first_name: 'John', last_name: 'Smith', postcode: '10001' })).toEqual(['s1', 's0', 's2']);
  });

  it('caps at 10 by default', async () => {
    const provider = DirectoryProvider.fromRecords(namesakes, { nicknames });
    expect(await idsFor(provider, { first_name: 'John', last_name: 'Smith', city: 'X' })).toHaveLength(10);
  });

  it('skips oversized surname blocks but still finds exact names and identifiers', async () => {
    const crowd = [
      ...Array.from({ length: 30 }, (_, index) => person(`c${index}`, { first_name: 'Jim', last_name: 'Smith' })),
      person('jon', { first_name: 'Jon', last_name: 'Smith', email: 'jon@example.com' }),
    ];
    const provider = DirectoryProvider.fromRecords(crowd, { maxBucketScan: 10, nicknames });
    expect(await idsFor(provider, { first_name: 'Jonn', last_name: 'Smith', city: 'X' })).toEqual([]);
    expect(await idsFor(provider, { first_name: 'Jon', last_name: 'Smith', city: 'X' })).toEqual(['jon']);
    expect(await idsFor(provider, { first_name: 'X', last_name: 'Y', email: 'jon@example.com' })).toEqual(['jon']);
  });

  it('ranks every block of a contact with more keys and blocks than its first lists hold (a name of many nicknames)', async () => {
    // 80 nickname variants, each the first name of one Jones: "Bob Jones" finds each through its own full-name key,
    // about 85 blocks in all; Robert's comes last.
    const spellings = Array.from({ length: 80 }, (_, index) => `bobvariant${index}`);
    const variants = new Set([...spellings, 'robert']);
    const manyNicknames = { variantsOf: (name: string) => (name === 'bob' ? variants : new Set<string>()) };
    const people = [
      ...spellings.map((first, index) => person(`v${index}`, { first_name: first, last_name: 'Jones' })),
      person('r', { first_name: 'Robert', last_name: 'Jones' }),
      person('x', { first_name: 'Bob', last_name: 'Smith' }),
    ];
    const provider = DirectoryProvider.fromRecords(people, { nicknames: manyNicknames, maxCandidates: 100 });
    const ids = await idsFor(provider, { first_name: 'Bob', last_name: 'Jones' });
    expect([...ids].sort()).toEqual([...spellings.map((_, index) => `v${index}`), 'r'].sort());
    // And the next, ordinary look-up is not disturbed by the longer one.
    expect(await idsFor(provider, { first_name: 'Bob', last_name: 'Smith' })).toEqual(['x']);
  });

  it('hands out candidates the matcher decides on like any other', async () => {
    const provider = DirectoryProvider.fromRecords([person('r', { first_name: 'Robert', last_name: 'Jones', company: 'Initech LLC' })], {
      nicknames,
    });
    const contact = standardizeContact({ first_name: 'Bob', last_name: 'Jones', company: 'Initech' });
    const [candidates] = await provider.findCandidates([contact]);
    const model = { ...priorModel(), population: provider.population };
    expect(decideMatch(contact, candidates ?? [], nicknames, { model })).toMatchObject({
      status: 'matched',
      method: 'nickname',
      candidate: { id: 'r' },
    });
  });
});

describe('DirectoryProvider.fromStream', () => {
  it('loads the same people from a byte stream (an S3 object) as from a file, naming the origin in errors', async () => {
    const { Readable } = await import('node:stream');
    const csv = 'id,first_name,last_name,email\nP1,Ann,Lee,ann@example.com\nP2,Bob,Ray,bob@example.com\n';
    const provider = await DirectoryProvider.fromStream(Readable.from([Buffer.from(csv)]), 's3://bucket/directory.csv');
    expect(provider.size).toBe(2);
    const [candidates] = await provider.findCandidates([{ first_name: 'Ann', last_name: 'Lee', email: 'ann@example.com' }]);
    expect(candidates?.[0]?.id).toBe('P1');
    await expect(DirectoryProvider.fromStream(Readable.from([Buffer.from('name,email\nx,y\n')]), 's3://bucket/bad.csv')).rejects.toThrow(
      'directory s3://bucket/bad.csv: header lacks id, first_name, last_name',
    );
  });
});
