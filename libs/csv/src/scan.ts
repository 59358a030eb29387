import { asBuffer } from './bytes';
import { CsvFormatError } from './errors';

// Declared here rather than imported: CommonJS transpilers (swc, tsx) turn imported bindings into
// property getters, which costs more than the scan itself in the loop below.
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/**
 * Called once per record, in order. `end` is the byte offset just after the record's line terminator
 * (or the end of the data for a last record without one); `isRow` is false for a blank line;
 * `lineAfter` is the 1-based physical line number at `end`.
 */
export type RecordListener = (end: number, isRow: boolean, lineAfter: number) => void;

// Scanner states. Outside covers both "at the start of a field" and "inside an unquoted field";
// `fieldStart` tells them apart because only there does a quote open a quoted field.
const OUTSIDE = 0;
const QUOTED = 1;
// Inside a quoted field, the previous buffer ended on a quote: the next byte decides between `""` and a close.
const QUOTE_PENDING = 2;

/**
 * Finds record boundaries in a byte stream with exactly the rules csv-parse applies with
 * relax_quotes, relax_column_count and skip_empty_lines, record delimiters LF and CRLF:
 * - a quote opens a quoted field only as the first byte of a field;
 * - inside a quoted field `""` is a literal quote and any other quote ends the quoting
 *   (csv-parse keeps reading an unquoted remainder when the next byte is not a delimiter or terminator);
 * - outside quotes, LF ends a record (a CR right before it belongs to the terminator);
 * - a record whose content is empty (nothing, or a lone CR before the LF) is a blank line, not a row.
 * Physical lines are counted by LF bytes. State is a handful of numbers, so buffers may be split anywhere.
 */
export class RecordScanner {
  private readonly delimiter: number;
  private readonly onRecord: RecordListener;
  private offset: number;
  private line: number;
  private state = OUTSIDE;
  private fieldStart = true;
  private recordStart: number;
  private lastByte = -1;
  private quoteStart = -1;
  private quoteLine = 0;

  constructor(delimiter: number, startOffset: number, startLine: number, onRecord: RecordListener) {
    this.delimiter = delimiter;
    this.offset = startOffset;
    this.recordStart = startOffset;
    this.line = startLine;
    this.onRecord = onRecord;
  }

  /** Absolute offset of the next byte to be written. */
  get position(): number {
    return this.offset;
  }

  /** The quoted field still open at the current position, if any. */
  get openQuote(): { offset: number; line: number } | undefined {
    return this.state === QUOTED ? { offset: this.quoteStart, line: this.quoteLine } : undefined;
  }

  write(chunk: Buffer | Uint8Array): void {
    const buf = asBuffer(chunk);
    const len = buf.length;
    if (len === 0) return;
    const delimiter = this.delimiter;
    const offset = this.offset;
    let state = this.state;
    let fieldStart = this.fieldStart;
    let line = this.line;
    let i = 0;
    // Next LF / quote at or after the scan position; `len` when there is none. Recomputed only once passed,
    // so each byte is searched at most once per kind.
    let nextLf = -1;
    let nextQuote = -1;

    if (state === QUOTE_PENDING) {
      if (buf[0] === QUOTE) {
        state = QUOTED;
        i = 1;
      } else {
        state = OUTSIDE;
        fieldStart = false;
      }
    }

    while (i < len) {
      if (nextQuote < i) {
        nextQuote = buf.indexOf(QUOTE, i);
        if (nextQuote === -1) nextQuote = len;
      }
      if (nextLf < i) {
        nextLf = buf.indexOf(LF, i);
        if (nextLf === -1) nextLf = len;
      }

      if (state === QUOTED) {
        const quote = nextQuote;
        while (nextLf < quote) {
          line++;
          nextLf = buf.indexOf(LF, nextLf + 1);
          if (nextLf === -1) nextLf = len;
        }
        if (quote === len) {
          i = len;
        } else if (quote + 1 === len) {
          state = QUOTE_PENDING;
          i = len;
        } else if (buf[quote + 1] === QUOTE) {
          i = quote + 2;
        } else {
          state = OUTSIDE;
          fieldStart = false;
          i = quote + 1;
        }
        continue;
      }

      if (nextQuote < nextLf) {
        const quote = nextQuote;
        // Between i and the quote there is no other quote and no LF, so the byte before it is unquoted content.
        const opens = quote === i ? fieldStart : buf[quote - 1] === delimiter;
        if (opens) {
          state = QUOTED;
          this.quoteStart = offset + quote;
          this.quoteLine = line;
        }
        fieldStart = false;
        i = quote + 1;
        continue;
      }

      if (nextLf === len) {
        fieldStart = buf[len - 1] === delimiter;
        i = len;
        continue;
      }

      const lf = nextLf;
      const end = offset + lf + 1;
      const contentLength = offset + lf - this.recordStart;
      const isRow = contentLength > 1 || (contentLength === 1 && (lf > 0 ? buf[lf - 1] : this.lastByte) !== CR);
      line++;
      this.recordStart = end;
      fieldStart = true;
      i = lf + 1;
      this.onRecord(end, isRow, line);
    }

    this.state = state;
    this.fieldStart = fieldStart;
    this.line = line;
    this.lastByte = buf[len - 1] ?? -1;
    this.offset = offset + len;
  }

  /** Signals the end of the data: reports a last record without terminator, or throws inside a quoted field. */
  end(): void {
    if (this.state === QUOTED) {
      throw new CsvFormatError(
        `the data ends inside a quoted field opened at line ${this.quoteLine} (byte ${this.quoteStart}): unterminated quote`,
        'unterminated-quote',
        this.quoteLine,
      );
    }
    // A quote pending at the end closed the field (csv-parse closes a quote followed by end of data).
    this.state = OUTSIDE;
    if (this.offset > this.recordStart) {
      this.recordStart = this.offset;
      this.onRecord(this.offset, true, this.line);
    }
  }
}
