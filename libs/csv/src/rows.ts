import { isUtf8 } from 'node:buffer';
import { parse as parseSync } from 'csv-parse/sync';
import { asBuffer, delimiterByte } from './bytes';
import { type CsvLimits, formatByteSize } from './limits';
import { finishRecord, parserOptions } from './parser-options';
import { RecordScanner } from './scan';
import type { CsvFormat } from './types';

const QUOTE = 0x22;
const REPLACEMENT_CHARACTER = '\uFFFD';

/** Why a row cannot be used as it is; `column` is 0-based. */
export type RowProblem =
  /** The record is over `maxRowBytes`: its values are not read (`column`: where the limit was reached). */
  | { readonly kind: 'row-too-large'; readonly bytes: number; readonly column: number }
  /** A value is over `maxFieldBytes`: that value is left empty, the others are kept. */
  | { readonly kind: 'field-too-large'; readonly bytes: number; readonly column: number }
  /** A value holds a NUL character, which no text has: the value is kept as it is. */
  | { readonly kind: 'nul-character'; readonly column: number }
  /** A value of a UTF-8 file holds bytes that are not UTF-8 (read as U+FFFD): the value is kept as it reads. */
  | { readonly kind: 'not-utf-8'; readonly column: number };

export interface CsvRow {
  readonly cells: string[];
  /** 1-based physical line where the record starts. */
  readonly line: number;
  readonly problem?: RowProblem;
}

// Records within the limits are parsed a batch at a time: one csv-parse call per ~64 KiB, not per record.
const BATCH_BYTES = 64 * 1024;
const PIECE_BYTES = 64 * 1024;

/**
 * The rows of a slice that starts on a record boundary (a planned range), in order, blank lines skipped, each
 * checked against the limits. Linear in the input and bounded in memory whatever it holds: a record over
 * `maxRowBytes` is never assembled (its bytes are counted, not kept, past the limit) and comes out as a row without
 * cells and its problem; a value over `maxFieldBytes` is left empty with its problem; the rest of the slice goes on.
 * Record boundaries are RecordScanner's, the cells csv-parse's (the rules of parseCsvRecords).
 * Throws CsvFormatError 'unterminated-quote' when the slice ends inside a quoted field.
 */
export async function* readCsvRows(
  source: AsyncIterable<Buffer | Uint8Array> | Buffer,
  format: CsvFormat,
  options: { limits: Pick<CsvLimits, 'maxFieldBytes' | 'maxRowBytes'>; firstLine?: number },
): AsyncGenerator<CsvRow> {
  const reader = new RowReader(format, options.limits, options.firstLine ?? 1);
  for await (const chunk of Buffer.isBuffer(source) ? [source] : source) {
    const bytes = asBuffer(chunk);
    for (let at = 0; at < bytes.length; at += PIECE_BYTES) {
      reader.write(bytes.subarray(at, at + PIECE_BYTES));
      yield* reader.take();
    }
  }
  reader.end();
  yield* reader.take();
}

class RowReader {
  private readonly scanner: RecordScanner;
  private ready: CsvRow[] = [];
  /** Whole records within the limits, not parsed yet, and the line each starts on. */
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private batchLines: number[] = [];
  /** The record being read: its pieces while within maxRowBytes (then only its first maxRowBytes + 1 bytes). */
  private current: Buffer[] = [];
  private currentBytes = 0;
  private currentLine: number;
  /** Record ends found in the piece being written (absolute offsets), with their rows and lines after. */
  private ends: { end: number; isRow: boolean; lineAfter: number }[] = [];
  private offset = 0;

  constructor(
    private readonly format: CsvFormat,
    private readonly limits: Pick<CsvLimits, 'maxFieldBytes' | 'maxRowBytes'>,
    firstLine: number,
  ) {
    this.currentLine = firstLine;
    this.scanner = new RecordScanner(delimiterByte(format.delimiter), 0, firstLine, (end, isRow, lineAfter) => {
      this.ends.push({ end, isRow, lineAfter });
    });
  }

  write(piece: Buffer): void {
    this.scanner.write(piece);
    let at = 0;
    for (const { end, isRow, lineAfter } of this.ends) {
      this.append(piece.subarray(at, end - this.offset));
      at = end - this.offset;
      this.finishRecord(isRow, lineAfter);
    }
    this.ends = [];
    this.append(piece.subarray(at));
    this.offset += piece.length;
  }

  end(): void {
    this.scanner.end();
    for (const { isRow, lineAfter } of this.ends) this.finishRecord(isRow, lineAfter);
    this.ends = [];
    this.flushBatch();
  }

  take(): CsvRow[] {
    const rows = this.ready;
    this.ready = [];
    return rows;
  }

  private append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const kept = this.limits.maxRowBytes + 1 - this.currentBytes;
    // Past the limit only the count grows: that is what keeps a 50 MB value from being assembled (or parsed).
    if (kept > 0) this.current.push(bytes.length <= kept ? bytes : bytes.subarray(0, kept));
    this.currentBytes += bytes.length;
  }

  private finishRecord(isRow: boolean, lineAfter: number): void {
    const line = this.currentLine;
    const bytes = this.currentBytes;
    const pieces = this.current;
    this.current = [];
    this.currentBytes = 0;
    this.currentLine = lineAfter;
    if (!isRow) return;
    if (bytes > this.limits.maxRowBytes) {
      this.flushBatch();
      const column = columnAt(Buffer.concat(pieces), delimiterByte(this.format.delimiter));
      this.ready.push({ cells: [], line, problem: { kind: 'row-too-large', bytes, column } });
      return;
    }
    this.batch.push(...pieces);
    this.batchBytes += bytes;
    this.batchLines.push(line);
    if (this.batchBytes >= BATCH_BYTES) this.flushBatch();
  }

  private flushBatch(): void {
    if (this.batchLines.length === 0) return;
    const bytes = Buffer.concat(this.batch, this.batchBytes);
    const lines = this.batchLines;
    this.batch = [];
    this.batchBytes = 0;
    this.batchLines = [];
    const records = parseSync(bytes, parserOptions(this.format)) as string[][];
    if (records.length !== lines.length) {
      throw new Error(`the record scanner found ${lines.length} records from line ${lines[0]} but csv-parse read ${records.length}`);
    }
    const mayHoldNul = bytes.includes(0);
    // A file is read as UTF-8 when its start is; a byte further on that is not UTF-8 reads as U+FFFD. Only then (one
    // pass over the batch) is a U+FFFD in a value a decoding error rather than a character the file really holds.
    const mayHoldBadBytes = this.format.encoding === 'utf-8' && !isUtf8(bytes);
    records.forEach((record, i) => {
      const cells = finishRecord(record, this.format);
      this.ready.push(this.checkFields(cells, lines[i] as number, mayHoldNul, mayHoldBadBytes));
    });
  }

  private checkFields(cells: string[], line: number, mayHoldNul: boolean, mayHoldBadBytes: boolean): CsvRow {
    const max = this.limits.maxFieldBytes;
    let problem: RowProblem | undefined;
    for (let column = 0; column < cells.length; column++) {
      const cell = cells[column] as string;
      // A UTF-8 character takes 1 to 3 bytes per UTF-16 unit (a pair takes 4 for 2), so the byte count is needed
      // only in between; windows-1252 takes one byte per character.
      if (cell.length * 3 <= max) {
        if (problem === undefined && mayHoldNul && cell.includes('\0')) problem = { kind: 'nul-character', column };
        continue;
      }
      const bytes = this.format.encoding === 'utf-8' ? Buffer.byteLength(cell, 'utf8') : cell.length;
      if (bytes > max) {
        cells[column] = '';
        if (problem?.kind !== 'field-too-large') problem = { kind: 'field-too-large', bytes, column };
      } else if (problem === undefined && mayHoldNul && cell.includes('\0')) {
        problem = { kind: 'nul-character', column };
      }
    }
    if (problem === undefined && mayHoldBadBytes) {
      const column = cells.findIndex((cell) => cell.includes(REPLACEMENT_CHARACTER));
      if (column >= 0) problem = { kind: 'not-utf-8', column };
    }
    return problem === undefined ? { cells, line } : { cells, line, problem };
  }
}

/** The 0-based column in which `prefix` (the start of a record) ends: delimiters outside quotes, counted. */
function columnAt(prefix: Buffer, delimiter: number): number {
  let column = 0;
  let fieldStart = true;
  let quoted = false;
  for (let i = 0; i < prefix.length; i++) {
    const byte = prefix[i];
    if (quoted) {
      if (byte === QUOTE) {
        if (prefix[i + 1] === QUOTE) i++;
        else quoted = false;
      }
      continue;
    }
    if (byte === delimiter) {
      column++;
      fieldStart = true;
      continue;
    }
    if (byte === QUOTE && fieldStart) quoted = true;
    fieldStart = false;
  }
  return column;
}

/**
 * A row's problem in words, naming the line, the column (by its header name when known) and the limit, and what
 * became of the values.
 */
export function describeRowProblem(
  problem: RowProblem,
  where: { line: number; columns?: readonly string[] },
  limits: Pick<CsvLimits, 'maxFieldBytes' | 'maxRowBytes'>,
): string {
  const column = columnName(problem.column, where.columns);
  switch (problem.kind) {
    case 'row-too-large':
      return (
        `the record at line ${where.line} takes ${formatByteSize(problem.bytes)}, over the ${formatByteSize(limits.maxRowBytes)} limit for a row ` +
        `(reached in ${column}); its values are not copied`
      );
    case 'field-too-large':
      return `${column} at line ${where.line} holds ${formatByteSize(problem.bytes)}, over the ${formatByteSize(limits.maxFieldBytes)} limit for a value; that value is left empty`;
    case 'nul-character':
      return `${column} at line ${where.line} contains a NUL character (byte 0x00), which text never holds`;
    case 'not-utf-8':
      return `${column} at line ${where.line} holds bytes that are not UTF-8 (the file is read as UTF-8, as its start is); save the file as UTF-8`;
  }
}

function columnName(index: number, columns: readonly string[] | undefined): string {
  const name = columns?.[index];
  return name ? `column ${index + 1} (${JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name)})` : `column ${index + 1}`;
}
