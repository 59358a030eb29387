import { parse as parseSync } from 'csv-parse/sync';
import type { Delimiter } from '../src/index';
import { formatCsvRecord, formatPlainCsvRecord, neutralizeFormula, withoutFormulaGuard } from '../src/index';
import { pick, prng, randomInt } from './helpers';

describe('neutralizeFormula', () => {
  test.each(['=', '+', '-', '@', '\t', '\r'])('prefixes a cell starting with %j with an apostrophe', (first) => {
    expect(neutralizeFormula(`${first}SUM(A1:A9)`)).toBe(`'${first}SUM(A1:A9)`);
    expect(neutralizeFormula(first)).toBe(`'${first}`);
  });

  test.each(['', 'Bob', 'a=b', ' =1+2', "'=already", '\n=x', '0612345678'])('leaves %j alone', (cell) => {
    expect(neutralizeFormula(cell)).toBe(cell);
  });
});

describe('formatCsvRecord', () => {
  test('joins plain cells and ends the record with LF', () => {
    expect(formatCsvRecord(['Bob', 'bob@example.com', ''])).toBe('Bob,bob@example.com,\n');
    expect(formatCsvRecord(['Bob', 'Smith'], '\t')).toBe('Bob\tSmith\n');
  });

  test('quotes cells holding the delimiter, a quote, CR or LF, doubling quotes', () => {
    expect(formatCsvRecord(['Smith, John', 'say "hi"', 'a\nb', 'a\rb', 'a\r\nb'])).toBe('"Smith, John","say ""hi""","a\nb","a\rb","a\r\nb"\n');
  });

  test('quotes for its own delimiter only', () => {
    expect(formatCsvRecord(['a;b', 'c,d', 'e|f'], ';')).toBe('"a;b";c,d;e|f\n');
    expect(formatCsvRecord(['a;b', 'c,d', 'e|f'], '|')).toBe('a;b|c,d|"e|f"\n');
  });

  test('neutralizes every cell before quoting it', () => {
    expect(formatCsvRecord(['=HYPERLINK("http://x","y")', '+33 6 12', '-1', '@me', '\tx', '\rx'])).toBe(
      `"'=HYPERLINK(""http://x"",""y"")",'+33 6 12,'-1,'@me,'\tx,"'\rx"\n`,
    );
  });

  test('writes a record of one empty cell as "" so readers do not skip it as a blank line', () => {
    expect(formatCsvRecord([''])).toBe('""\n');
    expect(parseSync(formatCsvRecord(['']), { skip_empty_lines: true })).toEqual([['']]);
  });

  test('every formatted record parses back, with csv-parse, to the neutralized cells', () => {
    const alphabet = ['a', 'Z', ' ', 'é', '😀', ',', ';', '\t', '|', '"', '\r', '\n', '=', '+', '-', '@', "'"];
    for (let seed = 1; seed <= 500; seed++) {
      const random = prng(seed);
      const delimiter = pick<Delimiter>(random, [',', ';', '\t', '|']);
      const cells = Array.from({ length: randomInt(random, 1, 6) }, () => {
        let cell = '';
        for (let i = randomInt(random, 0, 6); i > 0; i--) cell += pick(random, alphabet);
        return cell;
      });
      const parsed = parseSync(formatCsvRecord(cells, delimiter), { delimiter, relax_column_count: true, skip_empty_lines: true });
      expect({ seed, parsed }).toEqual({ seed, parsed: [cells.map(neutralizeFormula)] });
    }
  });
});

describe('formatPlainCsvRecord', () => {
  it('quotes like formatCsvRecord but keeps every cell exactly as given (no spreadsheet guard)', () => {
    expect(formatPlainCsvRecord(['a,b', 'say "hi"', '+1 415 555 0100', '=x'])).toBe('"a,b","say ""hi""",+1 415 555 0100,=x\n');
    expect(formatCsvRecord(['+1 415 555 0100'])).toBe("'+1 415 555 0100\n");
    expect(formatPlainCsvRecord([''])).toBe('""\n');
  });
});

describe('withoutFormulaGuard', () => {
  it('takes off exactly the apostrophe neutralizeFormula added', () => {
    for (const cell of ['=1+1', '+14155550134', '-2', '@x', 'plain', "'quoted", '']) {
      expect(withoutFormulaGuard(neutralizeFormula(cell))).toBe(cell);
    }
    expect(withoutFormulaGuard("'plain")).toBe("'plain");
  });
});
