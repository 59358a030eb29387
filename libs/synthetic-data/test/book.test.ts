import { BOOK_HEADER, BOOK_ROW_KINDS, type BookRowKind, DEFAULT_MIX, generateBook } from '../src';
import { FIXTURE_OPTIONS, loadFixture } from './dataset-fixture';

describe('contact book', () => {
  it('uses the synonyms people type as its header', () => {
    expect(BOOK_HEADER).toEqual([
      'First Name',
      'Last Name',
      'Email',
      'Phone',
      'Company',
      'Job Title',
      'Street',
      'City',
      'State',
      'Zip',
      'Country',
      'Birthday',
    ]);
    expect(loadFixture().book.every((row) => row.cells.length === BOOK_HEADER.length)).toBe(true);
  });

  it('numbers rows from 1 in order', () => {
    expect(loadFixture().book.map((row) => row.truth.row)).toEqual(Array.from({ length: FIXTURE_OPTIONS.bookSize }, (_, index) => index + 1));
  });

  it('draws each kind with roughly its default weight', () => {
    const { book } = loadFixture();
    const total = Object.values(DEFAULT_MIX).reduce((sum, weight) => sum + weight, 0);
    for (const kind of BOOK_ROW_KINDS) {
      const expected = (DEFAULT_MIX[kind] / total) * book.length;
      const actual = book.filter((row) => row.truth.kind === kind).length;
      // Four standard deviations of a binomial count, plus the rare fallbacks (a first-row duplicate, ...).
      const tolerance = 4 * Math.sqrt(expected * (1 - expected / book.length)) + 3;
      expect({ kind, actual: Math.abs(actual - expected) <= tolerance }).toEqual({ kind, actual: true });
    }
  });

  it('follows a custom mix, merged over the defaults', () => {
    const onlyZero = Object.fromEntries(BOOK_ROW_KINDS.map((kind) => [kind, 0])) as Record<BookRowKind, number>;
    const rows = [...generateBook({ ...FIXTURE_OPTIONS, bookSize: 2_000, mix: { ...onlyZero, stranger: 1, typo: 3 } })];
    const strangers = rows.filter((row) => row.truth.kind === 'stranger').length;
    expect(rows.every((row) => row.truth.kind === 'stranger' || row.truth.kind === 'typo')).toBe(true);
    expect(strangers / rows.length).toBeGreaterThan(0.2);
    expect(strangers / rows.length).toBeLessThan(0.3);

    const merged = [...generateBook({ ...FIXTURE_OPTIONS, bookSize: 2_000, mix: { invalid: 0 } })];
    expect(merged.some((row) => row.truth.kind === 'invalid')).toBe(false);
    expect(merged.some((row) => row.truth.kind === 'current')).toBe(true);
  });

  it('rejects a mix without any positive weight or with negative weights', () => {
    const onlyZero = Object.fromEntries(BOOK_ROW_KINDS.map((kind) => [kind, 0])) as Record<BookRowKind, number>;
    expect(() => generateBook({ ...FIXTURE_OPTIONS, mix: onlyZero }).next()).toThrow(RangeError);
    expect(() => generateBook({ ...FIXTURE_OPTIONS, mix: { stale: -1 } }).next()).toThrow(RangeError);
  });

  it('applies every formatting variation somewhere', () => {
    const seen = new Set(loadFixture().book.flatMap((row) => row.truth.variations));
    const expected = [
      'phone:parentheses',
      'phone:dashes',
      'phone:dots',
      'phone:digits',
      'phone:spaced',
      'email:upper',
      'email:mixed_case',
      'email:padded',
      'birthday:us',
      'birthday:long',
      'country:usa',
      'country:united_states',
      'country:empty',
      'state:full_name',
      'name:padded:first_name',
      'name:padded:last_name',
    ];
    expect(expected.filter((entry) => !seen.has(entry))).toEqual([]);
  });

  it('writes the formatting it records', () => {
    const formatOf: Record<string, RegExp> = {
      'phone:parentheses': /^\(\d{3}\) \d{3}-\d{4}$/,
      'phone:dashes': /^\d{3}-\d{3}-\d{4}$/,
      'phone:dots': /^\d{3}\.\d{3}\.\d{4}$/,
      'phone:digits': /^\d{10}$/,
      'phone:spaced': /^\+1 \d{3} \d{3} \d{4}$/,
      'birthday:us': /^\d{2}\/\d{2}\/\d{4}$/,
      'birthday:long': /^[A-Z][a-z]+ \d{1,2}, \d{4}$/,
    };
    const problems: string[] = [];
    for (const row of loadFixture().book) {
      for (const entry of row.truth.variations) {
        const pattern = formatOf[entry];
        const value = entry.startsWith('phone') ? row.cells[3] : row.cells[11];
        if (pattern !== undefined && !pattern.test(value ?? '')) {
          problems.push(`row ${row.truth.row}: ${entry} but ${value}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
