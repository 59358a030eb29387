import { BOOK_HEADER, type BookRow, CONTACT_FIELDS, type ContactField, type DirectoryPerson, sameFieldValue, TRUTH_HEADER, truthCells } from '../src';
import { nicknamesByName } from '../src/data/nicknames';
import { companyDomain } from '../src/reference/companies';
import { stripAccents } from '../src/text/accents';
import { cell, loadFixture, personOf, rowsOfKind, variation } from './dataset-fixture';

const MATCHED_KINDS = ['current', 'stale', 'sparse', 'typo', 'typo_stale', 'nickname', 'accents_case', 'duplicate'];
const IDENTIFYING: readonly ContactField[] = ['email', 'phone', 'street', 'birth_date'];

function present(value: string): boolean {
  return value.trim() !== '';
}

/** Rows for which `check` reports a problem, as "row N: problem" lines (empty when all is well). */
function problemsOf(rows: readonly BookRow[], check: (row: BookRow) => string | undefined): string[] {
  return rows.flatMap((row) => {
    const problem = check(row);
    return problem === undefined ? [] : [`row ${row.truth.row}: ${problem}`];
  });
}

function differsOnEverythingButName(row: BookRow, person: DirectoryPerson): string | undefined {
  const shared = CONTACT_FIELDS.filter(
    (field) =>
      field !== 'first_name' &&
      field !== 'last_name' &&
      field !== 'country' &&
      present(cell(row, field)) &&
      sameFieldValue(field, cell(row, field), person[field]),
  );
  return shared.length === 0 ? undefined : `shares ${shared.join(', ')} with ${person.id}`;
}

describe('ground truth', () => {
  it('has the documented header and cells', () => {
    expect(TRUTH_HEADER).toEqual([
      'row',
      'kind',
      'person_id',
      'expected_status',
      'variations',
      ...CONTACT_FIELDS.map((field) => `expected_${field}_status`),
    ]);
    const [first] = loadFixture().book;
    expect(first && truthCells(first.truth)).toHaveLength(TRUTH_HEADER.length);
  });

  it('points matched rows, and only them, to an existing directory person', () => {
    const { book, byId } = loadFixture();
    expect(
      problemsOf(book, ({ truth }) => {
        const shouldMatch = MATCHED_KINDS.includes(truth.kind);
        if (shouldMatch !== (truth.expectedStatus === 'matched')) {
          return `${truth.kind} is ${truth.expectedStatus}`;
        }
        if (shouldMatch && !byId.has(truth.personId)) {
          return `unknown person ${truth.personId}`;
        }
        return !shouldMatch && truth.personId !== '' ? 'unmatched row with a person id' : undefined;
      }),
    ).toEqual([]);
    expect(book.filter((row) => row.truth.kind === 'invalid').every((row) => row.truth.expectedStatus === 'invalid')).toBe(true);
  });

  it('labels fields by comparing the book with the directory: new, empty and unverified by presence', () => {
    const { book, byId } = loadFixture();
    expect(
      problemsOf(book, ({ truth, cells }) => {
        const person = byId.get(truth.personId);
        for (const [position, field] of CONTACT_FIELDS.entries()) {
          const inBook = present(cells[position] ?? '');
          const inDirectory = person !== undefined && present(person[field]);
          const status = truth.fieldStatuses[field];
          const expected = !inDirectory ? (inBook ? 'unverified' : 'empty') : !inBook ? 'new' : status === 'old' ? 'old' : 'confirmed';
          if (status !== expected) {
            return `${field} is ${status}, expected ${expected}`;
          }
        }
        return undefined;
      }),
    ).toEqual([]);
  });

  it('current rows agree with the directory up to formatting', () => {
    const rows = rowsOfKind('current');
    expect(rows.length).toBeGreaterThan(1_000);
    expect(
      problemsOf(rows, (row) => {
        const person = personOf(row);
        const wrong = CONTACT_FIELDS.filter((field) => present(cell(row, field)) && !sameFieldValue(field, cell(row, field), person[field]));
        const missing = CONTACT_FIELDS.filter((field) => field !== 'country' && present(person[field]) && !present(cell(row, field)));
        const statuses = Object.values(row.truth.fieldStatuses).filter((status) => status === 'old' || status === 'unverified');
        return wrong.length + missing.length + statuses.length === 0 ? undefined : `differs on ${[...wrong, ...missing].join(', ')}`;
      }),
    ).toEqual([]);
  });

  it('stale rows have outdated values and keep a stable corroborating field', () => {
    const rows = rowsOfKind('stale');
    expect(
      problemsOf(rows, (row) => {
        const statuses = row.truth.fieldStatuses;
        if (!CONTACT_FIELDS.some((field) => statuses[field] === 'old' || statuses[field] === 'unverified')) {
          return 'nothing outdated';
        }
        if (statuses.first_name !== 'confirmed' || statuses.last_name !== 'confirmed') {
          return 'name changed';
        }
        const stable = (['birth_date', 'email', 'phone', 'company', 'street'] as const).some((field) => statuses[field] === 'confirmed');
        return stable ? undefined : 'no corroborating field left';
      }),
    ).toEqual([]);
    const groups = new Set(rows.flatMap((row) => row.truth.variations.filter((entry) => entry.startsWith('stale:'))));
    expect([...groups].sort()).toEqual(['stale:address', 'stale:email', 'stale:job', 'stale:phone']);
  });

  it('stale rows from before a job change do not hold the e-mail at the new employer', () => {
    expect(
      problemsOf(rowsOfKind('stale'), (row) => {
        const person = personOf(row);
        const domain = companyDomain(person.company);
        const mailedAtWork = domain !== undefined && person.email.endsWith(`@${domain}`);
        return mailedAtWork && row.truth.fieldStatuses.company === 'old' && row.truth.fieldStatuses.email === 'confirmed'
          ? `still ${person.email}`
          : undefined;
      }),
    ).toEqual([]);
  });

  it('stale e-mails and phones never belong to another directory person', () => {
    const { directory } = loadFixture();
    const emails = new Set(directory.map((person) => person.email).filter(present));
    const phones = new Set(directory.map((person) => person.phone).filter(present));
    expect(
      problemsOf(rowsOfKind('stale'), (row) => {
        const statuses = row.truth.fieldStatuses;
        const email = cell(row, 'email').trim().toLowerCase();
        const phone = `+1${cell(row, 'phone').replace(/\D/g, '').slice(-10)}`;
        if (statuses.email !== 'confirmed' && emails.has(email)) {
          return `old e-mail ${email} is someone's current one`;
        }
        return statuses.phone !== 'confirmed' && phones.has(phone) ? `old phone ${phone} is someone's current one` : undefined;
      }),
    ).toEqual([]);
  });

  it('sparse rows keep the name and at least two fields, one of them identifying', () => {
    expect(
      problemsOf(rowsOfKind('sparse'), (row) => {
        const person = personOf(row);
        const kept = CONTACT_FIELDS.filter(
          (field) => field !== 'first_name' && field !== 'last_name' && field !== 'country' && present(cell(row, field)),
        );
        if (!present(cell(row, 'first_name')) || !present(cell(row, 'last_name'))) {
          return 'no full name';
        }
        if (kept.length < 2) {
          return `only ${kept.join(', ')}`;
        }
        if (!Object.values(row.truth.fieldStatuses).includes('new')) {
          return 'nothing dropped';
        }
        const canIdentify = IDENTIFYING.some((field) => present(person[field]));
        return canIdentify && !kept.some((field) => IDENTIFYING.includes(field)) ? 'no identifying field kept' : undefined;
      }),
    ).toEqual([]);
  });

  it('typo rows differ from the directory in one name only', () => {
    expect(
      problemsOf(rowsOfKind('typo'), (row) => {
        const { first_name: first, last_name: last } = row.truth.fieldStatuses;
        const field = variation(row, 'typo:')?.split(':')[1];
        const oldFields = [first === 'old' ? 'first_name' : undefined, last === 'old' ? 'last_name' : undefined].filter(Boolean);
        return oldFields.length === 1 && oldFields[0] === field ? undefined : `old names: ${oldFields.join(', ')}, recorded ${field}`;
      }),
    ).toEqual([]);
  });

  it('nickname rows use a nickname of the directory first name', () => {
    const rows = rowsOfKind('nickname');
    expect(rows.length).toBeGreaterThan(150);
    expect(
      problemsOf(rows, (row) => {
        const person = personOf(row);
        const canonical = stripAccents(person.first_name).toLowerCase();
        const nickname = cell(row, 'first_name').trim().replace(/\s+/g, ' ').toLowerCase();
        if (!(nicknamesByName().get(canonical) ?? []).includes(nickname)) {
          return `${nickname} is not a nickname of ${canonical}`;
        }
        return row.truth.fieldStatuses.first_name === 'old' && row.truth.fieldStatuses.last_name === 'confirmed' ? undefined : 'wrong name labels';
      }),
    ).toEqual([]);
  });

  it('accents_case rows write a name differently and still confirm it', () => {
    expect(
      problemsOf(rowsOfKind('accents_case'), (row) => {
        const person = personOf(row);
        const rewritten = cell(row, 'first_name').trim() !== person.first_name || cell(row, 'last_name').trim() !== person.last_name;
        const confirmed = row.truth.fieldStatuses.first_name === 'confirmed' && row.truth.fieldStatuses.last_name === 'confirmed';
        return rewritten && confirmed ? undefined : 'name not rewritten or not confirmed';
      }),
    ).toEqual([]);
    const written = rowsOfKind('accents_case').flatMap((row) => [cell(row, 'first_name'), cell(row, 'last_name')]);
    expect(written.some((name) => name === name.toUpperCase() && /[ÁÉÍÓÚÀÈÄËÏÖÜÂÊÎÔÛÑÇ]/.test(name))).toBe(true);
    expect(written.some((name) => name === name.toLowerCase())).toBe(true);
  });

  it('strangers share no e-mail, phone, street or company with anybody in the directory, and only by chance a name', () => {
    const { directory } = loadFixture();
    const taken = (field: ContactField) => new Set(directory.map((person) => person[field].toLowerCase()).filter(present));
    const used = { email: taken('email'), phone: taken('phone'), street: taken('street'), company: taken('company') };
    const rows = rowsOfKind('stranger');
    expect(
      problemsOf(rows, (row) => {
        const email = cell(row, 'email').trim().toLowerCase();
        const phone = `+1${cell(row, 'phone').replace(/\D/g, '').slice(-10)}`;
        const clashes = [
          used.email.has(email) ? 'email' : undefined,
          used.phone.has(phone) ? 'phone' : undefined,
          used.street.has(cell(row, 'street').toLowerCase()) ? 'street' : undefined,
          used.company.has(cell(row, 'company').toLowerCase()) ? 'company' : undefined,
        ].filter(Boolean);
        if (!present(email) && !present(cell(row, 'phone'))) {
          return 'neither e-mail nor phone';
        }
        return clashes.length === 0 ? undefined : `clashes on ${clashes.join(', ')}`;
      }),
    ).toEqual([]);
    expect(rows.every((row) => Object.values(row.truth.fieldStatuses).every((status) => status === 'unverified' || status === 'empty'))).toBe(true);
  });

  it('look-alikes carry a directory name and nothing else of that person', () => {
    const { byId } = loadFixture();
    const rows = rowsOfKind('lookalike');
    expect(rows.length).toBeGreaterThan(100);
    expect(
      problemsOf(rows, (row) => {
        const person = byId.get(variation(row, 'lookalike_of:')?.split(':')[1] ?? '');
        if (person === undefined) {
          return 'no lookalike_of variation';
        }
        if (
          !sameFieldValue('first_name', cell(row, 'first_name'), person.first_name) ||
          !sameFieldValue('last_name', cell(row, 'last_name'), person.last_name)
        ) {
          return `name differs from ${person.id}`;
        }
        return differsOnEverythingButName(row, person);
      }),
    ).toEqual([]);
  });

  it('stale rows with a typo hold an outdated group and one misspelt name of their person', () => {
    const rows = rowsOfKind('typo_stale');
    expect(rows.length).toBeGreaterThan(50);
    expect(
      problemsOf(rows, (row) => {
        const person = personOf(row);
        const typo = variation(row, 'typo:')?.split(':')[1] as 'first_name' | 'last_name' | undefined;
        if (variation(row, 'stale:') === undefined) return 'no stale group';
        if (typo === undefined) return 'no typo';
        const other = typo === 'first_name' ? 'last_name' : 'first_name';
        const cells = Object.fromEntries(BOOK_HEADER.map((header, i) => [header, row.cells[i] ?? '']));
        const typed = cells[typo === 'first_name' ? 'First Name' : 'Last Name'] ?? '';
        const kept = cells[other === 'first_name' ? 'First Name' : 'Last Name'] ?? '';
        if (typed.trim().toLowerCase() === person[typo].toLowerCase()) return `${typo} is not misspelt`;
        return kept.trim().toLowerCase() === person[other].toLowerCase() ? undefined : `${other} changed too`;
      }),
    ).toEqual([]);
  });

  it('duplicates copy an earlier row and match the same person', () => {
    const { book } = loadFixture();
    const rows = rowsOfKind('duplicate');
    expect(rows.length).toBeGreaterThan(150);
    expect(
      problemsOf(rows, (row) => {
        const sourceRow = Number(variation(row, 'duplicate_of_row:')?.split(':')[1]);
        const source = book[sourceRow - 1];
        if (source === undefined || sourceRow >= row.truth.row) {
          return `bad source row ${sourceRow}`;
        }
        if (source.truth.personId !== row.truth.personId) {
          return `source matches ${source.truth.personId}, duplicate ${row.truth.personId}`;
        }
        const exact = row.truth.variations.includes('duplicate:exact');
        const sameCells = row.cells.every((value, position) => value === source.cells[position]);
        const sameValues = CONTACT_FIELDS.every(
          (field) =>
            sameFieldValue(field, cell(row, field), cell(source, field)) ||
            (field === 'country' && (!present(cell(row, field)) || !present(cell(source, field)))),
        );
        return exact === sameCells && sameValues ? undefined : 'not a copy';
      }),
    ).toEqual([]);
    expect(rows.some((row) => row.truth.variations.includes('duplicate:near'))).toBe(true);
  });

  it('invalid rows really lack what they claim', () => {
    const rows = rowsOfKind('invalid');
    const filled = (row: BookRow) => CONTACT_FIELDS.filter((field) => present(cell(row, field)));
    expect(
      problemsOf(rows, (row) => {
        const reason = variation(row, 'invalid:')?.split(':')[1];
        const fields = filled(row).join(',');
        switch (reason) {
          case 'no_name':
            // No name, no e-mail, no phone, no birth date: an employer and a town say nothing about who.
            return filled(row).every((field) => ['company', 'title', 'city', 'state', 'country'].includes(field)) && filled(row).length > 0
              ? undefined
              : `no_name with ${fields}`;
          case 'name_only':
            return fields === 'first_name,last_name' ? undefined : `name_only with ${fields}`;
          case 'empty_row':
            return fields === '' ? undefined : `empty_row with ${fields}`;
          case 'malformed_email': {
            const email = cell(row, 'email');
            const wellFormed = /^[^@\s]+@[^@\s]+\.[a-z]+$/.test(email);
            return fields === 'first_name,last_name,email' && !wellFormed ? undefined : `malformed_email with ${fields}: ${email}`;
          }
          default:
            return `unknown reason ${reason}`;
        }
      }),
    ).toEqual([]);
    const reasons = new Set(rows.map((row) => variation(row, 'invalid:')));
    expect(reasons.size).toBe(4);
  });
});
