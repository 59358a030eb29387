import { parsePhoneNumberFromString } from 'libphonenumber-js';
import {
  DIRECTORY_HEADER,
  type DirectoryPerson,
  directoryCells,
  directoryId,
  directoryIndex,
  directoryPerson,
  generateDirectory,
  MAX_DIRECTORY_SIZE,
} from '../src';
import { STATE_NAMES } from '../src/reference/places';
import { loadFixture } from './dataset-fixture';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function isRealDate(value: string): boolean {
  return ISO_DATE.test(value) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);
}

function formatProblems(person: DirectoryPerson): string[] {
  const checks: [boolean, string][] = [
    [/^P\d{6}$/.test(person.id), 'id'],
    [person.first_name !== '' && person.last_name !== '', 'name'],
    [person.email === '' || /^[a-z0-9._]+@[a-z0-9]+(\.[a-z]+)+$/.test(person.email), 'email'],
    [person.phone === '' || /^\+1[2-9]\d{2}[2-9]\d{6}$/.test(person.phone), 'phone is not E.164 NANP'],
    [person.phone.slice(5, 8) !== '555', 'fiction 555 exchange'],
    [person.street === '' || /^[1-9]\d{0,3} [A-Z][A-Za-z ]+ (St|Ave|Rd|Blvd|Ln|Dr)$/.test(person.street), 'street'],
    [person.title === '' || person.company !== '', 'title without company'],
    [STATE_NAMES[person.state] !== undefined, 'state'],
    [/^\d{5}$/.test(person.postcode), 'postcode'],
    [person.country === 'US', 'country'],
    [
      person.birth_date === '' || (isRealDate(person.birth_date) && person.birth_date >= '1940-01-01' && person.birth_date <= '2004-12-31'),
      'birth_date',
    ],
    [isRealDate(person.updated_at) && person.updated_at >= '2024-01-01' && person.updated_at <= '2026-12-31', 'updated_at'],
  ];
  return checks.filter(([ok]) => !ok).map(([, problem]) => problem);
}

describe('directory', () => {
  it('has the canonical header', () => {
    expect(DIRECTORY_HEADER).toEqual([
      'id',
      'first_name',
      'last_name',
      'email',
      'phone',
      'company',
      'title',
      'street',
      'city',
      'state',
      'postcode',
      'country',
      'birth_date',
      'updated_at',
    ]);
    const [person] = loadFixture().directory;
    expect(person && directoryCells(person)).toHaveLength(DIRECTORY_HEADER.length);
  });

  it('gives ids from the 0-based index', () => {
    expect(directoryId(0)).toBe('P000001');
    expect(directoryId(1_234_566)).toBe('P1234567');
    expect(directoryIndex('P000001')).toBe(0);
    expect(directoryIndex('X1')).toBeUndefined();
    expect(
      loadFixture()
        .directory.map((person) => person.id)
        .slice(0, 3),
    ).toEqual(['P000001', 'P000002', 'P000003']);
  });

  it('produces person i from (seed, i) alone, equal to the i-th generated person', () => {
    const { directory } = loadFixture();
    for (const index of [0, 1, 17, 1_234, 2_999]) {
      expect(directoryPerson(42, index)).toEqual(directory[index]);
    }
    expect(directoryPerson(43, 17)).not.toEqual(directory[17]);
    expect(directoryPerson(42, 5_000_000).id).toBe('P5000001');
    expect(() => directoryPerson(42, MAX_DIRECTORY_SIZE)).toThrow(RangeError);
    expect(() => directoryPerson(42, -1)).toThrow(RangeError);
  });

  it('rejects bad sizes and seeds', () => {
    expect(() => [...generateDirectory({ seed: 1, directorySize: 0, bookSize: 0 })]).toThrow(RangeError);
    expect(() => [...generateDirectory({ seed: 1.5, directorySize: 10, bookSize: 0 })]).toThrow(RangeError);
    expect(() => [...generateDirectory({ seed: 1, directorySize: MAX_DIRECTORY_SIZE + 1, bookSize: 0 })]).toThrow(RangeError);
  });

  it('formats every field as documented', () => {
    const problems = loadFixture().directory.flatMap((person) => formatProblems(person).map((problem) => `${person.id}: ${problem}`));
    expect(problems).toEqual([]);
  });

  it('gives phones that libphonenumber-js reads as possible (and valid) US numbers', () => {
    const phones = loadFixture()
      .directory.map((person) => person.phone)
      .filter((phone) => phone !== '');
    const unreadable = phones.filter((phone) => {
      const parsed = parsePhoneNumberFromString(phone, 'US');
      return parsed === undefined || !parsed.isPossible() || !parsed.isValid() || parsed.number !== phone;
    });
    expect(phones.length).toBeGreaterThan(2_500);
    expect(unreadable).toEqual([]);
  });

  it('leaves some fields empty at about the documented rates', () => {
    const { directory } = loadFixture();
    const share = (test: (value: (typeof directory)[number]) => boolean) => directory.filter(test).length / directory.length;
    expect(share((person) => person.phone === '')).toBeGreaterThan(0.03);
    expect(share((person) => person.phone === '')).toBeLessThan(0.07);
    expect(share((person) => person.title === '')).toBeGreaterThan(0.07);
    expect(share((person) => person.title === '')).toBeLessThan(0.15);
    expect(share((person) => person.email === '')).toBeGreaterThan(0.02);
    expect(share((person) => person.birth_date === '')).toBeGreaterThan(0.05);
  });

  it('gives unique phones and, in practice, unique e-mails', () => {
    const directory = [...generateDirectory({ seed: 9, directorySize: 20_000, bookSize: 0 })];
    const phones = directory.map((person) => person.phone).filter((phone) => phone !== '');
    expect(new Set(phones).size).toBe(phones.length);
    const emails = directory.map((person) => person.email).filter((email) => email !== '');
    expect(emails.length - new Set(emails).size).toBeLessThanOrEqual(emails.length * 0.001);
  });

  it('has people sharing a full name (frequent names and injected twins)', () => {
    const counts = new Map<string, number>();
    for (const person of loadFixture().directory) {
      const name = `${person.first_name} ${person.last_name}`;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    const sharing = [...counts.values()].filter((count) => count > 1).reduce((sum, count) => sum + count, 0);
    expect(sharing).toBeGreaterThan(60);
  });

  it('includes companies whose names need CSV quoting', () => {
    expect(loadFixture().directory.some((person) => person.company.includes(','))).toBe(true);
  });
});
