import { lazy, readDataCsv } from './data-files';

/** Common nicknames by lower-case canonical first name (robert -> bob, rob, bobby). */
export const nicknamesByName = lazy((): ReadonlyMap<string, readonly string[]> => {
  const table = new Map<string, string[]>();
  for (const record of readDataCsv('nicknames-common.csv')) {
    const canonical = record.name1;
    const nickname = record.name2;
    if (record.relationship !== 'has_nickname' || !canonical || !nickname) {
      continue;
    }
    const known = table.get(canonical) ?? [];
    known.push(nickname);
    table.set(canonical, known);
  }
  return table;
});
