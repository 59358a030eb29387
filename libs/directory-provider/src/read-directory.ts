import { createReadStream, promises as fs } from 'node:fs';
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
export async function* readDirectory(path: string, options: StandardizeOptions = {}): AsyncGenerator<Candidate> {
  if (!(await isPlainCsv(path))) {
    yield* readDirectoryStream(createReadStream(path), path, options);
    return;
  }
  const candidates = new CandidateReader(path, options);
  try {
    for await (const records of plainCsvRecords(path)) {
      for (const record of records) {
        const candidate = candidates.take(record);
        if (candidate !== undefined) yield candidate;
      }
    }
  } catch (error) {
    if (error instanceof NotPlainCsv) throw new Error(`directory ${path}: the file changed while it was read`);
    throw error;
  }
  candidates.end();
}

// The same from any byte stream (e.g. an S3 object); `origin` names it in errors.
export async function* readDirectoryStream(source: Readable, origin: string, options: StandardizeOptions = {}): AsyncGenerator<Candidate> {
  const parser = parse(CSV_OPTIONS);
  // pipe() does not forward errors: a missing file must fail the load, not hang it.
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);
  const candidates = new CandidateReader(origin, options);
  for await (const record of parser as AsyncIterable<string[]>) {
    const candidate = candidates.take(record);
    if (candidate !== undefined) yield candidate;
  }
  candidates.end();
}

const CSV_OPTIONS = { bom: true, skip_empty_lines: true, trim: true } as const;

// The header, then a candidate per record.
class CandidateReader {
  private positions: ColumnPositions | undefined;
  private row = 0;

  constructor(
    private readonly path: string,
    private readonly options: StandardizeOptions,
  ) {}

  take(record: readonly string[]): Candidate | undefined {
    if (this.positions === undefined) {
      this.positions = columnPositions(record, this.path);
      return undefined;
    }
    this.row += 1;
    const candidate = candidateFrom(record, this.positions, this.options);
    if (candidate === undefined) {
      throw new Error(`directory ${this.path} row ${this.row}: missing id`);
    }
    return candidate;
  }

  end(): void {
    if (this.positions === undefined) {
      throw new Error(`directory ${this.path}: the file is empty; expected the header ${DIRECTORY_COLUMNS.join(',')}`);
    }
  }
}

// A directory file is "plain" when csv-parse (CSV_OPTIONS) would read it as lines, each split at its commas — a field
// either unquoted, trimmed of white space as String.prototype.trim does (csv-parse's trim characters are the same set),
// or quoted from its first byte to its last ("" inside for a quote), taken as it is — with no carriage return, no
// quote anywhere else, no line break inside quotes, and every line but blank ones (white space only: csv-parse skips
// them) with as many fields as the first. Such a file is read by plainCsvRecords below, which looks for line feeds,
// commas and quotes only instead of going byte by byte through csv-parse's state machine (issue 16: reading and
// standardizing the bench's 15.7 MB directory of 100,000 people took 1.29-1.45 s of CPU through csv-parse, 0.65-0.74 s
// so, both passes included); any other goes to csv-parse, which also says what is wrong with it.
const QUOTE = 0x22;
const CARRIAGE_RETURN = 0x0d;
const LINE_FEED = 0x0a;
const COMMA = 0x2c;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const READ_CHUNK = 64 * 1024;

export async function isPlainCsv(path: string): Promise<boolean> {
  try {
    for await (const _records of plainCsvRecords(path, false)) {
      // only checked
    }
    return true;
  } catch (error) {
    if (error instanceof NotPlainCsv) return false;
    throw error;
  }
}

class NotPlainCsv extends Error {}

// The records of a plain file, a batch per read; throws NotPlainCsv at the first sign that it is not one (the file
// changed since isPlainCsv). With `decode` false, only checks. Read into one buffer, used again for every read (a line
// left over moves to its front): a stream's fresh buffer per read is memory outside V8's heap that is given back only
// when a collection finds it dead: read so, 1 MiB at a time, the two passes put the peak RSS of `refinery enrich` at
// 100,000 rows at 442-469 MB in three runs, against 416-422 MB with csv-parse.
async function* plainCsvRecords(path: string, decode = true): AsyncGenerator<string[][]> {
  const lines = new PlainLines(decode);
  const file = await fs.open(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(READ_CHUNK);
    let filled = 0;
    let first = true;
    for (;;) {
      if (filled === buffer.length) {
        // A line longer than the buffer.
        const grown = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(grown, 0, 0, filled);
        buffer = grown;
      }
      const { bytesRead } = await file.read(buffer, filled, buffer.length - filled, null);
      const end = filled + bytesRead;
      let lineStart = 0;
      if (first) {
        if (bytesRead > 0 && end < BOM.length) {
          filled = end;
          continue;
        }
        first = false;
        if (end >= BOM.length && buffer.subarray(0, BOM.length).equals(BOM)) lineStart = BOM.length;
      }
      const read = buffer.subarray(0, end);
      if (read.indexOf(CARRIAGE_RETURN, filled) >= 0) throw new NotPlainCsv();
      if (bytesRead === 0) {
        // The last line, without its line feed.
        if (lineStart < end) lines.add(read, lineStart, end);
        const records = lines.take();
        if (records.length > 0) yield records;
        return;
      }
      for (let lineEnd = read.indexOf(LINE_FEED, Math.max(lineStart, filled)); lineEnd >= 0; lineEnd = read.indexOf(LINE_FEED, lineStart)) {
        lines.add(read, lineStart, lineEnd);
        lineStart = lineEnd + 1;
      }
      buffer.copyWithin(0, lineStart, end);
      filled = end - lineStart;
      const records = lines.take();
      if (records.length > 0) yield records;
    }
  } finally {
    await file.close();
  }
}

// Splits the lines of a plain file into records (kept when decoding), checking that it is one.
class PlainLines {
  // Fields per record: the first record's; -1 before it.
  private fields = -1;
  private records: string[][] = [];

  constructor(private readonly decode: boolean) {}

  // One line: its bytes start .. end of `chunk`, without the line feed.
  add(chunk: Buffer, start: number, end: number): void {
    const record: string[] | undefined = this.decode ? [] : undefined;
    let count = 0;
    let unquotedOnly = true;
    let at = start;
    for (;;) {
      if (chunk[at] === QUOTE && at < end) {
        unquotedOnly = false;
        let close = at + 1;
        let escaped = false;
        for (;;) {
          if (close >= end) throw new NotPlainCsv();
          if (chunk[close] === QUOTE) {
            if (close + 1 < end && chunk[close + 1] === QUOTE) {
              escaped = true;
              close += 2;
              continue;
            }
            break;
          }
          close += 1;
        }
        const after = close + 1;
        if (after < end && chunk[after] !== COMMA) throw new NotPlainCsv();
        if (record !== undefined) {
          const value = chunk.toString('utf8', at + 1, close);
          record.push(escaped ? value.replaceAll('""', '"') : value);
        }
        count += 1;
        if (after >= end) break;
        at = after + 1;
      } else {
        let stop = at;
        while (stop < end && chunk[stop] !== COMMA) {
          if (chunk[stop] === QUOTE) throw new NotPlainCsv();
          stop += 1;
        }
        // Each field decoded on its own, as csv-parse does: a string of its own, not a slice of its line's.
        record?.push(chunk.toString('utf8', at, stop).trim());
        count += 1;
        if (stop >= end) break;
        at = stop + 1;
      }
    }
    // A line of one unquoted field that is white space only is blank: csv-parse skips it (skip_empty_lines, after trim).
    if (count === 1 && unquotedOnly && (record?.[0] ?? chunk.toString('utf8', start, end).trim()) === '') return;
    if (this.fields < 0) this.fields = count;
    else if (count !== this.fields) throw new NotPlainCsv();
    if (record !== undefined) this.records.push(record);
  }

  // The records since the last take.
  take(): string[][] {
    const records = this.records;
    this.records = [];
    return records;
  }
}
