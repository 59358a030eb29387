import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NicknameTable } from './nickname-table';

// Resolved from this file so it works from any working directory; bundlers must copy data/ alongside.
export const NICKNAMES_CSV_PATH: string = resolve(__dirname, '..', 'data', 'names.csv');

let bundled: NicknameTable | undefined;

// The table is immutable, so one parsed copy per process is enough.
export function loadBundledNicknames(): NicknameTable {
  bundled ??= NicknameTable.fromCsv(readFileSync(NICKNAMES_CSV_PATH, 'utf8'));
  return bundled;
}
