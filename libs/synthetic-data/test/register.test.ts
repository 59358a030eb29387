import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import {
  type BookRow,
  CONTACT_FIELDS,
  DEFAULT_REGISTER_MIX,
  type DirectoryPerson,
  directoryPerson,
  expectedFieldStatuses,
  generateBook,
  generateDirectory,
  normalizeFieldValue,
  REGISTER_FIELDS,
  REGISTER_HEADER,
  REGISTER_ROW_KINDS,
  type RegisterField,
  type RegisterRowKind,
  sameFieldValue,
  writeDataset,
} from '../src';
import { emptyContactValues } from '../src/fields';
import { Random } from '../src/random/random';
import { isRealIsoDate, oneDigitDateError, swapDayAndMonth } from '../src/register/birth-date-errors';
import { isSufficient } from '../src/register/evidence';
import { adjacentKeys, keyboardTypo } from '../src/register/keyboard';
import { ocrTypo } from '../src/register/ocr';
import { phoneticSpelling } from '../src/register/phonetic';

const OPTIONS = { seed: 42, directorySize: 3_000, bookSize: 6_000, book: 'register' } as const;
const OUTSIDE_KINDS: readonly RegisterRowKind[] = ['stranger', 'lookalike', 'invalid'];
const MODIFICATION_PREFIXES = ['keyboard:', 'ocr:', 'phonetic:', 'missing:', 'birth_date:', 'swapped_names', 'former_surname', 'moved'];

interface RegisterFixture {
  directory: DirectoryPerson[];
  byId: Map<string, DirectoryPerson>;
  book: BookRow[];
}

let loaded: RegisterFixture | undefined;

function fixture(): RegisterFixture {
  if (loaded === undefined) {
    const directory = [...generateDirectory(OPTIONS)];
    loaded = { directory, byId: new Map(directory.map((person) => [person.id, person])), book: [...generateBook(OPTIONS)] };
  }
  return loaded;
}

function rowsOf(kind: RegisterRowKind): BookRow[] {
  return fixture().book.filter((row) => row.truth.kind === kind);
}

function cell(row: BookRow, field: RegisterField): string {
  return row.cells[REGISTER_FIELDS.indexOf(field)] ?? '';
}

/** The cell holding the value of a person's field: with swapped names the first name is in the last-name column. */
function valueFor(row: BookRow, field: RegisterField): string {
  if (!row.truth.variations.includes('swapped_names')) return cell(row, field);
  return cell(row, field === 'first_name' ? 'last_name' : field === 'last_name' ? 'first_name' : field);
}

function variation(row: BookRow, prefix: string): string | undefined {
  return row.truth.variations.find((entry) => entry.startsWith(prefix));
}

function idsIn(row: BookRow, prefix: string): string[] {
  return variation(row, prefix)?.slice(prefix.length).split('+') ?? [];
}

function personOf(row: BookRow): DirectoryPerson {
  const person = fixture().byId.get(row.truth.personId);
  if (person === undefined) {
    throw new Error(`row ${row.truth.row} points to unknown person ${row.truth.personId}`);
  }
  return person;
}

/** The person a row was made from, matched or not (row_of: names it when the row must stay unmatched). */
function sourceOf(row: BookRow): DirectoryPerson {
  const id = row.truth.personId || (variation(row, 'row_of:')?.split(':')[1] ?? '');
  const person = fixture().byId.get(id);
  if (person === undefined) {
    throw new Error(`row ${row.truth.row} has no source person`);
  }
  return person;
}

function problemsOf(rows: readonly BookRow[], check: (row: BookRow) => string | undefined): string[] {
  return rows.flatMap((row) => {
    const problem = check(row);
    return problem === undefined ? [] : [`row ${row.truth.row}: ${problem}`];
  });
}

function present(value: string): boolean {
  return value.trim() !== '';
}

function same(field: RegisterField, left: string, right: string): boolean {
  return sameFieldValue(field, left, right);
}

function modifications(row: BookRow): string[] {
  return row.truth.variations.filter((entry) => MODIFICATION_PREFIXES.some((prefix) => entry.startsWith(prefix)));
}

const touches = (row: BookRow, field: RegisterField): boolean => modifications(row).some((entry) => entry.includes(field));

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'synthetic-register-'));
  tempDirs.push(dir);
  return dir;
}

describe('register book', () => {
  it('is deterministic per seed: the same seed gives byte-identical files, another seed other ones', async () => {
    const options = { seed: 5, directorySize: 800, bookSize: 1_500, book: 'register' } as const;
    const first = await writeDataset({ ...options, dir: tempDir() });
    const second = await writeDataset({ ...options, dir: tempDir() });
    const other = await writeDataset({ ...options, seed: 6, dir: tempDir() });
    for (const file of ['directoryPath', 'bookPath', 'truthPath'] as const) {
      expect(readFileSync(first[file]).equals(readFileSync(second[file]))).toBe(true);
      expect(readFileSync(first[file]).equals(readFileSync(other[file]))).toBe(false);
    }
  });

  it('leaves the CRM book and its directory as they were: book "crm" is the default', async () => {
    const options = { seed: 5, directorySize: 500, bookSize: 600 };
    const implicit = await writeDataset({ ...options, dir: tempDir() });
    const explicit = await writeDataset({ ...options, book: 'crm', dir: tempDir() });
    for (const file of ['directoryPath', 'bookPath', 'truthPath'] as const) {
      expect(readFileSync(implicit[file]).equals(readFileSync(explicit[file]))).toBe(true);
    }
  });

  it('has only the register columns: names, street, city, state, postcode and birth date', async () => {
    expect(REGISTER_HEADER).toEqual(['First Name', 'Last Name', 'Street', 'City', 'State', 'Zip', 'Date of Birth']);
    const written = await writeDataset({ seed: 3, directorySize: 300, bookSize: 400, book: 'register', dir: tempDir() });
    const [header, ...rows] = parse(readFileSync(written.bookPath), { relax_column_count: false }) as string[][];
    expect(header).toEqual(REGISTER_HEADER);
    expect(rows).toHaveLength(400);
    expect(rows.every((row) => row.length === REGISTER_HEADER.length)).toBe(true);
    expect(fixture().book.every((row) => row.cells.length === REGISTER_HEADER.length)).toBe(true);
  });

  it('has every kind, about in its default weight, and 70-80% of its rows are of people in the directory', () => {
    const { book } = fixture();
    const total = Object.values(DEFAULT_REGISTER_MIX).reduce((sum, weight) => sum + weight, 0);
    for (const kind of REGISTER_ROW_KINDS) {
      const expected = (DEFAULT_REGISTER_MIX[kind] / total) * book.length;
      const actual = rowsOf(kind).length;
      const tolerance = 4 * Math.sqrt(expected) + 3;
      expect({ kind, near: Math.abs(actual - expected) <= tolerance }).toEqual({ kind, near: true });
    }
    const ofDirectoryPeople = book.filter((row) => !OUTSIDE_KINDS.includes(row.truth.kind as RegisterRowKind)).length / book.length;
    expect(ofDirectoryPeople).toBeGreaterThanOrEqual(0.7);
    expect(ofDirectoryPeople).toBeLessThanOrEqual(0.8);
    expect(book.some((row) => variation(row, 'fallback_from:') !== undefined)).toBe(false);
  });

  it('carries every corruption somewhere, some rows two or three, none more than three', () => {
    const seen = new Set(fixture().book.flatMap((row) => modifications(row).map((entry) => entry.split(':').slice(0, 2).join(':'))));
    for (const expected of [
      'keyboard:first_name',
      'keyboard:last_name',
      'keyboard:street',
      'keyboard:city',
      'ocr:first_name',
      'ocr:last_name',
      'ocr:street',
      'ocr:city',
      'phonetic:first_name',
      'phonetic:last_name',
      'missing:first_name',
      'missing:last_name',
      'missing:street',
      'missing:city',
      'missing:state',
      'missing:postcode',
      'missing:birth_date',
      'birth_date:digit',
      'birth_date:day_month_swapped',
      'swapped_names',
      'former_surname',
      'moved',
    ]) {
      expect({ expected, seen: seen.has(expected) }).toEqual({ expected, seen: true });
    }
    const counts = fixture().book.map((row) => modifications(row).length);
    expect(Math.max(...counts)).toBe(3);
    expect(counts.filter((count) => count >= 2).length).toBeGreaterThan(fixture().book.length / 10);
  });

  it('expects the statuses of the spec: people in the directory matched unless indistinguishable, others unmatched or invalid', () => {
    const { book, byId } = fixture();
    expect(
      problemsOf(book, ({ truth }) => {
        const kind = truth.kind as RegisterRowKind;
        if (kind === 'invalid') return truth.expectedStatus === 'invalid' && truth.personId === '' ? undefined : `invalid is ${truth.expectedStatus}`;
        if (kind === 'stranger' || kind === 'lookalike') {
          return truth.expectedStatus === 'unmatched' && truth.personId === '' ? undefined : `${kind} is ${truth.expectedStatus}`;
        }
        const indistinguishable = truth.variations.some((entry) => entry.startsWith('indistinguishable_from:'));
        if (indistinguishable) return truth.expectedStatus === 'unmatched' && truth.personId === '' ? undefined : 'indistinguishable but matched';
        if (truth.expectedStatus !== 'matched') return `${kind} is ${truth.expectedStatus}`;
        return byId.has(truth.personId) ? undefined : `unknown person ${truth.personId}`;
      }),
    ).toEqual([]);
    // Only rows of people who live with somebody can be indistinguishable, and they are rare outside the twins.
    const declined = book.filter((row) => row.truth.variations.some((entry) => entry.startsWith('indistinguishable_from:')));
    expect(declined.length).toBeGreaterThan(20);
    expect(declined.filter((row) => row.truth.kind !== 'twin' && row.truth.kind !== 'household').length).toBeLessThan(declined.length / 3);
  });

  it('labels fields as the CRM book does: absent columns new or empty, the others by comparison with the person', () => {
    const { book } = fixture();
    expect(
      problemsOf(book, (row) => {
        const person = row.truth.expectedStatus === 'matched' ? personOf(row) : undefined;
        const values = emptyContactValues();
        REGISTER_FIELDS.forEach((field, position) => {
          values[field] = row.cells[position] ?? '';
        });
        const expected = expectedFieldStatuses(values, person);
        const wrong = CONTACT_FIELDS.filter((field) => row.truth.fieldStatuses[field] !== expected[field]);
        if (wrong.length > 0) return `wrong statuses for ${wrong.join(', ')}`;
        for (const field of ['email', 'phone', 'company', 'title', 'country'] as const) {
          const status = row.truth.fieldStatuses[field];
          const want = person !== undefined && present(person[field]) ? 'new' : 'empty';
          if (status !== want) return `${field} is ${status}, want ${want}`;
        }
        return undefined;
      }),
    ).toEqual([]);
    const statuses = new Set(book.flatMap((row) => Object.values(row.truth.fieldStatuses)));
    expect([...statuses].sort()).toEqual(['confirmed', 'empty', 'new', 'old', 'unverified']);
  });

  it('current rows agree with the person up to formatting', () => {
    expect(
      problemsOf(rowsOf('current'), (row) => {
        const person = personOf(row);
        const wrong = REGISTER_FIELDS.filter((field) => !same(field, cell(row, field), person[field]));
        return wrong.length === 0 ? undefined : `differs on ${wrong.join(', ')}`;
      }),
    ).toEqual([]);
  });

  it('swapped-name rows have the first name in the last-name column and the reverse', () => {
    const rows = rowsOf('swapped_names');
    expect(rows.length).toBeGreaterThan(150);
    expect(
      problemsOf(rows, (row) => {
        const person = sourceOf(row);
        if (!same('first_name', cell(row, 'first_name'), person.last_name) || !same('last_name', cell(row, 'last_name'), person.first_name)) {
          return `${cell(row, 'first_name')} ${cell(row, 'last_name')} is not ${person.first_name} ${person.last_name} swapped`;
        }
        const { first_name: first, last_name: last } = row.truth.fieldStatuses;
        return first === 'old' && last === 'old' ? undefined : `names labelled ${first}, ${last}`;
      }),
    ).toEqual([]);
  });

  it('one-digit birth date errors differ from the person in exactly one digit and are real dates', () => {
    const rows = fixture().book.filter((row) => variation(row, 'birth_date:digit:') !== undefined);
    expect(rows.length).toBeGreaterThan(300);
    expect(new Set(rows.map((row) => variation(row, 'birth_date:digit:')))).toEqual(
      new Set(['birth_date:digit:day', 'birth_date:digit:month', 'birth_date:digit:year']),
    );
    expect(
      problemsOf(rows, (row) => {
        const typed = normalizeFieldValue('birth_date', cell(row, 'birth_date'));
        const real = sourceOf(row).birth_date;
        if (!isRealIsoDate(typed)) return `${typed} is not a real date`;
        const differing = [...typed].filter((character, position) => character !== real[position]).length;
        return differing === 1 && typed.length === real.length ? undefined : `${typed} differs from ${real} in ${differing} places`;
      }),
    ).toEqual([]);
  });

  it('day-month swaps swap a day and a month that are both 12 or less', () => {
    const rows = fixture().book.filter((row) => row.truth.variations.includes('birth_date:day_month_swapped'));
    expect(rows.length).toBeGreaterThan(150);
    expect(
      problemsOf(rows, (row) => {
        const typed = normalizeFieldValue('birth_date', cell(row, 'birth_date'));
        const real = sourceOf(row).birth_date;
        return swapDayAndMonth(real) === typed && typed !== real ? undefined : `${typed} is not ${real} with day and month swapped`;
      }),
    ).toEqual([]);
  });

  it('typo rows change one field by an adjacent key or an OCR misreading', () => {
    const problems = problemsOf([...rowsOf('keyboard_typo'), ...rowsOf('ocr_typo')], (row) => {
      const entry = variation(row, row.truth.kind === 'keyboard_typo' ? 'keyboard:' : 'ocr:');
      const [, field, change] = entry?.split(':') ?? [];
      const person = sourceOf(row);
      const typed = cell(row, field as RegisterField);
      if (same(field as RegisterField, typed, person[field as RegisterField])) return `${field} unchanged`;
      const [from = '', to = ''] = change?.split('->') ?? [];
      if (row.truth.kind === 'keyboard_typo' && !adjacentKeys(from).includes(to.toLowerCase())) return `${from} and ${to} are not neighbours`;
      return typed.trim().replace(/\s+/g, ' ').includes(to) ? undefined : `${typed} does not hold ${to}`;
    });
    expect(problems).toEqual([]);
  });

  it('phonetic rows spell a name another way that sounds the same', () => {
    const rows = rowsOf('phonetic');
    expect(rows.length).toBeGreaterThan(150);
    expect(
      problemsOf(rows, (row) => {
        const [, field, change] = variation(row, 'phonetic:')?.split(':') ?? [];
        const [from, to] = change?.split('->') ?? [];
        const person = sourceOf(row);
        return from === person[field as RegisterField] && same(field as RegisterField, cell(row, field as RegisterField), to ?? '')
          ? undefined
          : `${field} ${cell(row, field as RegisterField)} for ${person[field as RegisterField]} (${change})`;
      }),
    ).toEqual([]);
  });

  it('rows missing one name but with the birth date and address are matched', () => {
    const rows = fixture().book.filter(
      (row) => (variation(row, 'missing:first_name') ?? variation(row, 'missing:last_name')) !== undefined && row.truth.kind !== 'twin',
    );
    expect(rows.length).toBeGreaterThan(100);
    expect(
      problemsOf(rows, (row) => {
        const person = sourceOf(row);
        const names = [cell(row, 'first_name'), cell(row, 'last_name')].filter(present);
        if (names.length !== 1) return `${names.length} names`;
        if (!same('birth_date', cell(row, 'birth_date'), person.birth_date) || !present(cell(row, 'street'))) return 'no birth date or no street';
        const indistinguishable = variation(row, 'indistinguishable_from:') !== undefined;
        return row.truth.expectedStatus === (indistinguishable ? 'unmatched' : 'matched') ? undefined : `is ${row.truth.expectedStatus}`;
      }),
    ).toEqual([]);
    expect(rows.filter((row) => row.truth.expectedStatus === 'matched').length).toBeGreaterThan(rows.length * 0.9);
  });

  it('surname changes keep everything but the surname and are matched', () => {
    expect(
      problemsOf(rowsOf('surname_change'), (row) => {
        const person = personOf(row);
        if (same('last_name', cell(row, 'last_name'), person.last_name)) return 'same surname';
        const changed = (['first_name', 'street', 'city', 'postcode', 'birth_date'] as const).filter(
          (field) => !same(field, cell(row, field), person[field]),
        );
        return changed.length === 0 ? undefined : `${changed.join(', ')} changed too`;
      }),
    ).toEqual([]);
  });

  it('moved people have an old address, their name and birth date, and are matched', () => {
    expect(
      problemsOf(rowsOf('moved'), (row) => {
        const person = personOf(row);
        if (same('street', cell(row, 'street'), person.street) || same('city', cell(row, 'city'), person.city)) return 'same address';
        if (!same('birth_date', cell(row, 'birth_date'), person.birth_date)) return 'birth date changed';
        const names = (['first_name', 'last_name'] as const).filter(
          (field) => touches(row, field) || same(field, valueFor(row, field), person[field]),
        );
        return names.length === 2 ? undefined : 'name changed without a recorded typo';
      }),
    ).toEqual([]);
  });

  it('look-alikes have a directory name with another birth date and address; strangers nothing of anybody', () => {
    const { byId, directory } = fixture();
    expect(
      problemsOf(rowsOf('lookalike'), (row) => {
        const person = byId.get(variation(row, 'lookalike_of:')?.split(':')[1] ?? '');
        if (person === undefined) return 'no lookalike_of';
        if (!same('first_name', cell(row, 'first_name'), person.first_name) || !same('last_name', cell(row, 'last_name'), person.last_name)) {
          return 'another name';
        }
        const shared = (['street', 'city', 'birth_date'] as const).filter(
          (field) => present(cell(row, field)) && same(field, cell(row, field), person[field]),
        );
        return shared.length === 0 ? undefined : `shares ${shared.join(', ')}`;
      }),
    ).toEqual([]);
    const streets = new Set(directory.map((person) => person.street.toLowerCase()).filter(present));
    expect(problemsOf(rowsOf('stranger'), (row) => (streets.has(cell(row, 'street').toLowerCase()) ? 'a directory street' : undefined))).toEqual([]);
  });

  it('invalid rows hold a name at most', () => {
    const rows = rowsOf('invalid');
    expect(new Set(rows.map((row) => variation(row, 'invalid:')))).toEqual(
      new Set(['invalid:name_only', 'invalid:single_name', 'invalid:empty_row', 'invalid:no_name']),
    );
    expect(
      problemsOf(rows, (row) => {
        const filled = REGISTER_FIELDS.filter((field) => present(cell(row, field)));
        const names = filled.filter((field) => field === 'first_name' || field === 'last_name');
        if (names.length > 0 && filled.length > names.length) return `a name and ${filled.join(', ')}`;
        return filled.includes('birth_date') ? 'a birth date' : undefined;
      }),
    ).toEqual([]);
  });

  it('leaves every matched row enough to identify its person', () => {
    expect(
      problemsOf(
        fixture().book.filter((row) => row.truth.expectedStatus === 'matched'),
        (row) => {
          const person = personOf(row);
          const states = {} as Parameters<typeof isSufficient>[0];
          for (const field of REGISTER_FIELDS) {
            const typed = valueFor(row, field);
            states[field] =
              !present(typed) || !present(person[field])
                ? 'missing'
                : same(field, typed, person[field])
                  ? 'exact'
                  : touches(row, field)
                    ? 'near'
                    : 'changed';
          }
          if (row.truth.kind === 'moved') {
            for (const field of ['street', 'city', 'state', 'postcode'] as const) if (states[field] === 'near') states[field] = 'changed';
          }
          return isSufficient(states) ? undefined : `too little left: ${JSON.stringify(states)}`;
        },
      ),
    ).toEqual([]);
  });
});

describe('register directory: households and twins', () => {
  const addressOf = (person: DirectoryPerson) =>
    [person.last_name, person.street, person.city, person.state, person.postcode].join('|').toLowerCase();

  function households(): DirectoryPerson[][] {
    const groups = new Map<string, DirectoryPerson[]>();
    for (const person of fixture().directory) {
      if (person.street === '') continue;
      const group = groups.get(addressOf(person)) ?? [];
      group.push(person);
      groups.set(addressOf(person), group);
    }
    return [...groups.values()].filter((group) => group.length > 1);
  }

  it('has households: people sharing surname and address, each with their own first name and birth date', () => {
    const found = households();
    expect(found.length).toBeGreaterThan(200);
    expect(
      found.flatMap((group) => {
        const firsts = new Set(group.map((person) => normalizeFieldValue('first_name', person.first_name)));
        return firsts.size === group.length ? [] : [`${group.map((person) => person.id).join('+')} share a first name`];
      }),
    ).toEqual([]);
    const withOwnBirthDates = found.filter((group) => new Set(group.map((person) => person.birth_date)).size === group.length);
    expect(withOwnBirthDates.length).toBeGreaterThan(found.length / 2);
  });

  it('has twins: same surname, address and birth date, different first names', () => {
    const twins = households().filter((group) =>
      group.some((person, i) => person.birth_date !== '' && group.some((other, j) => j !== i && other.birth_date === person.birth_date)),
    );
    expect(twins.length).toBeGreaterThan(30);
  });

  it('is the CRM directory for everybody who lives alone', () => {
    const { directory } = fixture();
    const crm = [...generateDirectory({ ...OPTIONS, book: 'crm' })];
    const living = new Set(households().flatMap((group) => group.map((person) => person.id)));
    const alone = directory.filter((person) => !living.has(person.id));
    expect(alone.length).toBeGreaterThan(directory.length * 0.7);
    const changed = alone.filter((person, index) => JSON.stringify(person) !== JSON.stringify(crm[directory.indexOf(person)] ?? index));
    expect(changed.map((person) => person.id)).toEqual([]);
    expect(directoryPerson(OPTIONS.seed, 0)).toEqual(crm[0]);
  });

  it('gives household rows to one member, and never expects a match to another member', () => {
    const rows = [...rowsOf('household'), ...rowsOf('twin')];
    expect(
      problemsOf(rows, (row) => {
        const person = sourceOf(row);
        const mates = [...idsIn(row, 'lives_with:'), ...idsIn(row, 'twin_of:')].map((id) => fixture().byId.get(id));
        if (mates.length === 0 || mates.some((mate) => mate === undefined || mate.id === person.id)) return 'no household recorded';
        for (const mate of mates as DirectoryPerson[]) {
          if (addressOf(mate) !== addressOf(person)) return `${mate.id} lives elsewhere`;
          if (row.truth.personId === mate.id) return `expected to match ${mate.id}`;
        }
        if (row.truth.kind === 'twin' && !(mates as DirectoryPerson[]).some((mate) => mate.birth_date === person.birth_date)) return 'no twin';
        return undefined;
      }),
    ).toEqual([]);
  });

  it('declines a twin without a first name, and matches a twin whose first name is there', () => {
    const twins = rowsOf('twin');
    const withoutFirst = twins.filter((row) => !present(cell(row, 'first_name')) && !row.truth.variations.includes('swapped_names'));
    const withFirst = twins.filter(
      (row) => present(cell(row, 'first_name')) && !touches(row, 'first_name') && !row.truth.variations.includes('swapped_names'),
    );
    expect(withoutFirst.length).toBeGreaterThan(30);
    expect(withFirst.length).toBeGreaterThan(30);
    expect(withoutFirst.filter((row) => row.truth.expectedStatus !== 'unmatched').map((row) => row.truth.row)).toEqual([]);
    expect(
      problemsOf(withFirst, (row) => {
        const person = personOf(row);
        return same('first_name', cell(row, 'first_name'), person.first_name) ? undefined : 'another first name';
      }),
    ).toEqual([]);
  });
});

describe('register corruptions', () => {
  it('keyboard typos use a neighbouring key of the same kind, in the letter case of the original', () => {
    expect(adjacentKeys('s').split('').sort().join('')).toBe('adewxz');
    expect(adjacentKeys('5').split('').sort().join('')).toBe('46');
    const random = new Random(1);
    for (let i = 0; i < 200; i++) {
      const typo = keyboardTypo(random, 'Maple 123');
      const [from = '', to = ''] = typo?.change.split('->') ?? [];
      expect(adjacentKeys(from)).toContain(to.toLowerCase());
      expect(/\d/.test(from)).toBe(/\d/.test(to));
      expect(from === from.toUpperCase()).toBe(to === to.toUpperCase());
    }
    expect(keyboardTypo(random, '-- --')).toBeUndefined();
  });

  it('OCR typos confuse 0/O, 1/l/I, 5/S, rn/m and cl/d', () => {
    const random = new Random(2);
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      for (const text of ['Fernando', 'Sam', 'Mcclain', 'David', '150 Oak St', 'Ida', 'Lisa']) {
        const typo = ocrTypo(random, text);
        if (typo !== undefined) seen.add(typo.change);
      }
    }
    for (const change of ['rn->m', 'm->rn', 'cl->d', 'd->cl', '0->O', 'O->0', '1->l', '1->I', '5->S', 'S->5', 'I->l', 'l->1']) {
      expect({ change, seen: seen.has(change) }).toEqual({ change, seen: true });
    }
    expect(['Femando', 'Fernanclo', 'Fernand0']).toContain(ocrTypo(random, 'Fernando')?.text);
  });

  it('phonetic spellings come from a table of sound-alike names', () => {
    const random = new Random(3);
    expect(['Katherine', 'Kathryn', 'Catharine', 'Kathrine']).toContain(phoneticSpelling(random, 'first_name', 'Catherine'));
    expect(phoneticSpelling(random, 'first_name', 'Steven')).toMatch(/^(Stephen|Stevan)$/);
    expect(phoneticSpelling(random, 'last_name', 'Philips')).toBe('Phillips');
    expect(phoneticSpelling(random, 'last_name', 'THOMPSON')).toMatch(/^(THOMSON|TOMPSON)$/);
    expect(phoneticSpelling(random, 'last_name', 'Zzyzx')).toBeUndefined();
  });

  it('one-digit date errors stay real dates; day and month swap only when both are 12 or less', () => {
    const random = new Random(4);
    for (let i = 0; i < 500; i++) {
      const error = oneDigitDateError(random, '1985-03-14');
      expect(error && isRealIsoDate(error.date)).toBe(true);
      expect([...(error?.date ?? '')].filter((c, position) => c !== '1985-03-14'[position])).toHaveLength(1);
    }
    expect(oneDigitDateError(random, '1985-02-30')).toBeUndefined();
    expect(swapDayAndMonth('1985-03-07')).toBe('1985-07-03');
    expect(swapDayAndMonth('1985-03-14')).toBeUndefined();
    expect(swapDayAndMonth('1985-03-03')).toBeUndefined();
  });

  it('refuses a mix that names kinds the book does not have', () => {
    expect(() => generateBook({ ...OPTIONS, mix: { nickname: 1 } as never }).next()).toThrow(RangeError);
    expect(() => generateBook({ seed: 1, directorySize: 10, bookSize: 1, mix: { moved: 1 } }).next()).toThrow(RangeError);
    expect(() => generateBook({ ...OPTIONS, book: 'ledger' as never }).next()).toThrow(RangeError);
    const onlyTwins = [
      ...generateBook({ ...OPTIONS, bookSize: 200, mix: Object.fromEntries(REGISTER_ROW_KINDS.map((kind) => [kind, kind === 'twin' ? 1 : 0])) }),
    ];
    expect(onlyTwins.every((row) => row.truth.kind === 'twin')).toBe(true);
  });
});
