// `GET /jobs/{id}/rows`: pages of a result file's rows, filtered, read straight from the CSV as a stream. A page starts
// where the previous one stopped (the cursor holds the byte offset of the next row, so no page re-reads the rows
// before it) and reads at most ROWS_SCAN_LIMIT rows, whatever the filters: a page may hold fewer rows than asked for,
// even none, and still have a next page.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CANONICAL_FIELDS } from '@refinery/contacts';
import { parseCsvRecords, planChunks, withoutFormulaGuard } from '@refinery/csv';
import type { ObjectRefData } from '@refinery/events';
import type { ObjectStore } from '@refinery/ports';
import { RESULT_FORMAT } from './single-contact';

/** The most rows one request reads (and parses) from the result file. */
export const ROWS_SCAN_LIMIT = 5_000;

export const MATCH_STATUSES = ['matched', 'review', 'unmatched', 'invalid'] as const;
export const FIELD_LABELS = ['confirmed', 'old', 'new', 'unverified'] as const;

export interface RowsQuery {
  /** Only rows whose `match_status` is this. */
  readonly status?: (typeof MATCH_STATUSES)[number];
  /** Only rows where some `<field>_status` column is this. */
  readonly label?: (typeof FIELD_LABELS)[number];
  readonly limit: number;
  /** Where to go on (a `next` of an earlier page). */
  readonly after?: RowsCursor;
}

/** Where the next page starts: the byte offset of a data row in the result file, and that row's 1-based number. */
export interface RowsCursor {
  readonly offset: number;
  readonly row: number;
}

export interface RowsPage {
  readonly columns: string[];
  readonly rows: { row: number; values: string[] }[];
  readonly next: RowsCursor | null;
}

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

/**
 * What a cursor is signed for: the job and the result version it pages through. A cursor of another job, or of another
 * version of the same job (whose rows sit at other offsets), does not verify.
 */
export interface CursorScope {
  readonly key: Buffer;
  readonly jobId: string;
  readonly version: number;
}

/** Signature bytes kept (HMAC-SHA256 truncated to 128 bits: forging one is still a 2^128 guess). */
const CURSOR_MAC_BYTES = 16;

/** `purpose` keeps one kind of cursor from verifying as another (a rows cursor is no history cursor). */
function cursorMac(payload: string, scope: CursorScope, purpose = 'rows-cursor'): Buffer {
  return createHmac('sha256', scope.key).update(`${purpose}\n${scope.jobId}\n${scope.version}\n${payload}`).digest().subarray(0, CURSOR_MAC_BYTES);
}

/** `<payload, base64url>.<HMAC, base64url>`: an opaque cursor that only this API can have handed out for `scope`. */
export function signCursor(payload: string, scope: CursorScope, purpose: string): string {
  return `${Buffer.from(payload, 'utf8').toString('base64url')}.${cursorMac(payload, scope, purpose).toString('base64url')}`;
}

/** The payload of a cursor made by signCursor for the same scope and purpose; InvalidCursorError otherwise. */
export function verifyCursor(text: string, scope: CursorScope, purpose: string, refused: InvalidCursorError, maxLength = 200): string {
  const [encoded, mac, ...rest] = text.split('.');
  if (!encoded || !mac || rest.length > 0 || text.length > maxLength) throw refused;
  const payload = Buffer.from(encoded, 'base64url').toString('utf8');
  const given = Buffer.from(mac, 'base64url');
  const expected = cursorMac(payload, scope, purpose);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refused;
  return payload;
}

/**
 * `<row:offset, base64url>.<HMAC, base64url>`: the cursor says where the next page starts, and is signed so that only
 * a cursor this API handed out is read. A forged or altered offset would start a page in the middle of a record (cells
 * misaligned) or past the file.
 */
export function encodeRowsCursor(cursor: RowsCursor, scope: CursorScope): string {
  return signCursor(`${cursor.row}:${cursor.offset}`, scope, 'rows-cursor');
}

export function decodeRowsCursor(text: string, scope: CursorScope): RowsCursor {
  const refused = new InvalidCursorError('after is not a cursor this API handed out for this job and result version (use the `next` of a page)');
  const payload = verifyCursor(text, scope, 'rows-cursor', refused);
  const match = /^(\d{1,15}):(\d{1,15})$/.exec(payload);
  const row = Number(match?.[1]);
  const offset = Number(match?.[2]);
  if (!match || row < 1) throw refused;
  return { row, offset };
}

/** One page of the result file's rows (see the top of this file). */
export async function readResultRows(objects: ObjectStore, ref: ObjectRefData, query: RowsQuery): Promise<RowsPage> {
  const info = await objects.head(ref);
  if (!info) throw new Error(`the result ${ref.bucket}/${ref.key} is missing`);
  const header = await first(recordsFrom(objects, ref, 0));
  if (!header) throw new Error(`the result ${ref.bucket}/${ref.key} has no header`);
  const columns = header.cells;
  const statusColumn = columns.lastIndexOf('match_status');
  if (statusColumn < 0) throw new Error(`the result ${ref.bucket}/${ref.key} has no match_status column`);
  // The result columns follow the input columns: an input column named like one of them is not one of them.
  const labelColumns = CANONICAL_FIELDS.map((field) => columns.indexOf(`${field}_status`, statusColumn + 1)).filter((index) => index >= 0);

  if (query.after && (query.after.offset < header.end || query.after.offset >= info.sizeBytes)) {
    throw new InvalidCursorError('after is not a cursor of this job (use the `next` of a page)');
  }
  const start = query.after ?? { offset: header.end, row: 1 };
  if (start.offset >= info.sizeBytes) return { columns, rows: [], next: null }; // a header and no row
  const keep = (cells: readonly string[]): boolean =>
    (query.status === undefined || cells[statusColumn] === query.status) &&
    (query.label === undefined || labelColumns.some((index) => cells[index] === query.label));

  const rows: RowsPage['rows'] = [];
  let next: RowsCursor | null = null;
  let at = start;
  let scanned = 0;
  for await (const record of recordsFrom(objects, ref, start.offset)) {
    if (rows.length >= query.limit || scanned >= ROWS_SCAN_LIMIT) {
      next = at; // there is a row at `at`: the next page starts with it
      break;
    }
    scanned += 1;
    if (keep(record.cells)) rows.push({ row: at.row, values: record.cells.map(withoutFormulaGuard) });
    at = { offset: record.end, row: at.row + 1 };
  }
  return { columns, rows, next };
}

/**
 * The records of the result file from a record boundary on, each with the byte offset just after it: the same bytes
 * read twice side by side, by the record scanner (boundaries: planChunks with one row per chunk) and by the parser
 * (cells). Both apply the same rules, blank lines included, so they pair up. Stops reading when the caller stops.
 */
async function* recordsFrom(objects: ObjectStore, ref: ObjectRefData, offset: number): AsyncGenerator<{ cells: string[]; end: number }> {
  const bounds = planChunks(await objects.get(ref, { start: offset }), RESULT_FORMAT, { dataStart: offset, dataStartLine: 1, chunkRows: 1 });
  const records = parseCsvRecords(await objects.get(ref, { start: offset }), RESULT_FORMAT);
  try {
    for (;;) {
      const [bound, record] = await Promise.all([bounds.next(), records.next()]);
      if (bound.done || record.done) {
        if (bound.done !== record.done) throw new Error(`the result ${ref.bucket}/${ref.key}: record boundaries and records disagree`);
        return;
      }
      yield { cells: record.value, end: bound.value.end };
    }
  } finally {
    await Promise.all([bounds.return(undefined), records.return(undefined)]);
  }
}

async function first<T>(iterable: AsyncGenerator<T>): Promise<T | undefined> {
  for await (const item of iterable) return item;
  return undefined;
}
