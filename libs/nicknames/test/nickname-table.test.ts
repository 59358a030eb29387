import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadBundledNicknames, NICKNAMES_CSV_PATH, NicknameTable } from '@refinery/nicknames';

const SAMPLE = [
  'name1,relationship,name2',
  'robert,has_nickname,bob',
  'robert,has_nickname,rob',
  'bert,has_nickname,bob',
  'bobby,has_nickname,bob',
  'casey,has_nickname,k.c.',
  'jose,has_nickname,pepe',
  'anne,has_nickname,anne',
  '',
].join('\r\n');

describe('NicknameTable.fromCsv', () => {
  const table = NicknameTable.fromCsv(SAMPLE);

  it('finds the nicknames of a name', () => {
    expect([...table.variantsOf('robert')].sort()).toEqual(['bob', 'rob']);
  });

  it('finds the names a nickname belongs to (the reverse direction)', () => {
    expect([...table.variantsOf('bob')].sort()).toEqual(['bert', 'bobby', 'robert']);
  });

  it('folds the name looked up and the names in the table', () => {
    expect([...table.variantsOf('  ROBERT ')].sort()).toEqual(['bob', 'rob']);
    expect([...table.variantsOf('José')]).toEqual(['pepe']);
    expect([...table.variantsOf('KC')]).toEqual(['casey']);
  });

  it('never lists a name as its own variant and knows nothing of unknown names', () => {
    expect(table.variantsOf('anne').size).toBe(0);
    expect(table.variantsOf('zebedee').size).toBe(0);
    for (const [name, variants] of table.entries()) {
      expect(variants).not.toContain(name);
    }
  });

  it('lists every name with its sorted variants and counts them', () => {
    const entries = new Map(table.entries());
    expect(entries.get('bob')).toEqual(['bert', 'bobby', 'robert']);
    expect(table.size).toBe(entries.size);
    expect(table.size).toBe(9);
  });

  it('rejects a file with another header', () => {
    expect(() => NicknameTable.fromCsv('name,nickname\r\nrobert,bob\r\n')).toThrow(/expected header "name1,relationship,name2"/);
  });

  it('rejects a row with an unknown relationship, naming its line', () => {
    expect(() => NicknameTable.fromCsv('name1,relationship,name2\nrobert,has_nickname,bob\nbob,is_cousin_of,rob\n')).toThrow(
      /line 3: expected "name,has_nickname,nickname"/,
    );
  });
});

describe('the bundled table', () => {
  const table = loadBundledNicknames();

  it('is read from the copy beside the package, with its licence and attribution', () => {
    const folder = dirname(NICKNAMES_CSV_PATH);
    expect(NICKNAMES_CSV_PATH).toBe(join(__dirname, '..', 'data', 'names.csv'));
    expect(readFileSync(join(folder, 'LICENSE.txt'), 'utf8')).toContain('Apache License');
    expect(readFileSync(join(folder, 'SOURCE.md'), 'utf8')).toContain('carltonnorthern/nicknames');
    expect(existsSync(NICKNAMES_CSV_PATH)).toBe(true);
  });

  it('holds the whole source file', () => {
    // 1,151 canonical names and 1,384 nicknames, some of which are both.
    expect(table.size).toBeGreaterThan(2000);
    const rows = readFileSync(NICKNAMES_CSV_PATH, 'utf8').trim().split('\r\n').length - 1;
    expect(rows).toBe(2691);
  });

  it('relates robert and bob in both directions, and bob ambiguously', () => {
    expect(table.variantsOf('Robert').has('bob')).toBe(true);
    expect([...table.variantsOf('bob')]).toEqual(expect.arrayContaining(['robert', 'bert', 'bobby']));
  });

  it('is loaded once per process', () => {
    expect(loadBundledNicknames()).toBe(table);
  });
});
