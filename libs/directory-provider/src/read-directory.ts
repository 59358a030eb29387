import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { CANONICAL_FIELDS, type CanonicalField, type ContactFields, type StandardizeOptions, standardizeContact } from '@refinery/contacts';
import type { Candidate } from '@refinery/matching';
import { parse } from 'csv-parse';

export const DIRECTORY_COLUMNS = ['id', ...CANONICAL_FIELDS, 'updated_at'] as const;
const REQUIRED_COLUMNS = ['id', 'first_name', 'last_name'] as const;

interface ColumnPositions {
  id: number;
  updatedAt: number | undefined;
  fields: readonly (readonly [CanonicalField, number])[];
}

function columnPositions(header: readonly string[], path: string): ColumnPositions {
  const columns = header.map((column) => column.trim().toLowerCase());
  const missing = REQUIRED_COLUMNS.filter((column) => !columns.includes(column));
  if (missing.length > 0) {
    throw new Error(`directory ${path}: header lacks ${missing.join(', ')}; expected ${DIRECTORY_COLUMNS.join(',')}`);
  }
  const updatedAt = columns.indexOf('updated_at');
  return {
    id: columns.indexOf('id'),
    updatedAt: updatedAt < 0 ? undefined : updatedAt,
    fields: CANONICAL_FIELDS.flatMap((field) => {
      const position = columns.indexOf(field);
      return position < 0 ? [] : [[field, position] as const];
    }),
  };
}

function candidateFrom(row: readonly string[], positions: ColumnPositions, options: StandardizeOptions): Candidate | undefined {
  const id = row[positions.id] ?? '';
  if (id === '') {
    return undefined;
  }
  const fields: ContactFields = {};
  for (const [field, position] of positions.fields) {
    const value = row[position] ?? '';
    if (value !== '') {
      fields[field] = value;
    }
  }
  const updatedAt = positions.updatedAt === undefined ? '' : (row[positions.updatedAt] ?? '');
  return {
    id,
    fields: standardizeContact(fields, options),
    ...(updatedAt === '' ? {} : { updatedAt }),
  };
}

// Streams the directory CSV (header id,first_name,...,updated_at; extra columns are ignored) and
// yields standardized candidates, so a large file never sits in memory as text.
export function readDirectory(path: string, options: StandardizeOptions = {}): AsyncGenerator<Candidate> {
  return readDirectoryStream(createReadStream(path), path, options);
}

// The same from any byte stream (e.g. an S3 object); `origin` names it in errors.
export async function* readDirectoryStream(source: Readable, origin: string, options: StandardizeOptions = {}): AsyncGenerator<Candidate> {
  const path = origin;
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    trim: true,
  });
  // pipe() does not forward errors: a missing file must fail the load, not hang it.
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);
  let positions: ColumnPositions | undefined;
  let row = 0;
  for await (const record of parser as AsyncIterable<string[]>) {
    if (positions === undefined) {
      positions = columnPositions(record, path);
      continue;
    }
    row += 1;
    const candidate = candidateFrom(record, positions, options);
    if (candidate === undefined) {
      throw new Error(`directory ${path} row ${row}: missing id`);
    }
    yield candidate;
  }
  if (positions === undefined) {
    throw new Error(`directory ${path}: the file is empty; expected the header ${DIRECTORY_COLUMNS.join(',')}`);
  }
}
