import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';

const DATA_DIR = join(__dirname, '..', '..', 'data');

/** Reads a CSV file shipped in `libs/synthetic-data/data/` as records keyed by its header. */
export function readDataCsv(fileName: string): Record<string, string>[] {
  const rows = parse(readFileSync(join(DATA_DIR, fileName)), { skip_empty_lines: true, trim: true });
  const [header, ...records] = rows;
  if (header === undefined) {
    throw new Error(`${fileName} is empty`);
  }
  return records.map((cells) => Object.fromEntries(header.map((column, position) => [column, cells[position] ?? ''])));
}

/** Memoizes a loader so the data files are read once, on first use rather than at import time. */
export function lazy<T>(load: () => T): () => T {
  let value: { loaded: T } | undefined;
  return () => {
    value ??= { loaded: load() };
    return value.loaded;
  };
}
