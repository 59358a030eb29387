import { parse as parseSync } from 'csv-parse/sync';
import { binaryReason } from './binary';
import { countLineFeeds, DELIMITERS, delimiterByte, LF } from './bytes';
import { detectEncoding } from './decode';
import { type CsvLimits, DEFAULT_CSV_LIMITS, formatByteSize } from './limits';
import { finishRecord, parserOptions } from './parser-options';
import { RecordScanner } from './scan';
import type { CsvFormat, Delimiter, Encoding, SniffFailureCode, SniffResult } from './types';
import { utf16ByteOrder } from './utf16';

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
// Records after the header used to break delimiter ties.
const TIE_BREAK_RECORDS = 5;

interface HeaderCandidate {
  delimiter: Delimiter;
  fieldCount: number;
  consistentRecords: number;
  // Set when the header record is terminated (or ends the complete file).
  end?: number;
  lineAfter?: number;
  openQuote?: { offset: number; line: number };
}

/**
 * Inspects the first bytes of a file (`complete: true` says `head` is the whole file): skips a UTF-8 BOM
 * and leading blank lines, takes the first non-blank record as the header, detects the delimiter and the
 * encoding. The header must keep within `limits` (maxRowBytes, maxColumns; DEFAULT_CSV_LIMITS when not given):
 * pass `headerProbeBytes(limits)` bytes (or the whole file) so a header within them is found and one over them is
 * told as such. UTF-16 is refused here (`utf-16`): transcode it to UTF-8 first (transcodeUtf16ToUtf8).
 */
export function sniffCsv(head: Buffer, options: { complete?: boolean; limits?: Pick<CsvLimits, 'maxRowBytes' | 'maxColumns'> } = {}): SniffResult {
  const complete = options.complete ?? false;
  const limits = options.limits ?? DEFAULT_CSV_LIMITS;
  if (head.length === 0) return failure('empty', 'the file is empty (0 bytes)');
  const utf16 = utf16ByteOrder(head);
  if (utf16 !== undefined)
    return failure('utf-16', `${utf16.toUpperCase()} text (it starts with a byte order mark): transcode it to UTF-8 before reading it`);
  const notCsv = binaryReason(head);
  if (notCsv !== undefined) return failure('binary', `not a CSV file: ${notCsv}`);

  const hasBom = head.subarray(0, UTF8_BOM.length).equals(UTF8_BOM);
  const bodyStart = hasBom ? UTF8_BOM.length : 0;
  const firstVisible = firstNonWhitespace(head, bodyStart);
  if (firstVisible === -1) {
    return complete
      ? failure('empty', `the file contains no data: only ${hasBom ? 'a byte order mark and ' : ''}whitespace (${head.length} bytes)`)
      : failure('header-too-long', `no header record within the first ${head.length} bytes: only blank lines`);
  }
  // Leading blank lines are skipped whole, so the header starts at the beginning of its line.
  const headerStart = Math.max(bodyStart, head.lastIndexOf(LF, firstVisible) + 1);
  const headerLine = 1 + countLineFeeds(head, 0, headerStart);
  const encoding = detectEncoding(head.subarray(bodyStart), complete);

  const candidates = DELIMITERS.map((delimiter) => readCandidate(head, headerStart, headerLine, delimiter, encoding, complete));
  const chosen = pickDelimiter(candidates);
  const format: CsvFormat = { delimiter: chosen.delimiter, encoding, hasBom };

  const rowLimit = `the ${formatByteSize(limits.maxRowBytes)} limit for a record`;
  if (chosen.end === undefined || chosen.lineAfter === undefined) {
    const quote = chosen.openQuote;
    const quoteNote = quote === undefined ? '' : `; a quoted field opened at line ${quote.line} (byte ${quote.offset}) is still open`;
    if (head.length - headerStart > limits.maxRowBytes) {
      return failure('header-too-long', `the header record starting at line ${headerLine} is longer than ${rowLimit}${quoteNote}`);
    }
    if (!complete) {
      return failure(
        'header-too-long',
        `the header record starting at line ${headerLine} is not terminated within the first ${head.length} bytes${quoteNote}`,
      );
    }
    return failure(
      'unterminated-quote',
      `the header's quoted field opened at line ${quote?.line ?? headerLine} (byte ${quote?.offset ?? headerStart}) never closes`,
    );
  }

  if (chosen.end - headerStart > limits.maxRowBytes) {
    return failure(
      'header-too-long',
      `the header record starting at line ${headerLine} takes ${formatByteSize(chosen.end - headerStart)}, over ${rowLimit}`,
    );
  }
  if (chosen.fieldCount > limits.maxColumns) {
    return failure(
      'too-many-columns',
      `the header record at line ${headerLine} names ${chosen.fieldCount.toLocaleString('en')} columns, over the limit of ${limits.maxColumns.toLocaleString('en')} columns`,
    );
  }
  const columns = parseRecords(head.subarray(headerStart, chosen.end), format)[0]?.map(cleanHeaderCell) ?? [];
  if (columns.every((column) => column === '')) {
    return failure('no-header', `the header record at line ${headerLine} has only empty cells: the first non-blank line must name the columns`);
  }
  return { ok: true, header: { format, columns, dataStart: chosen.end, dataStartLine: chosen.lineAfter } };
}

function failure(code: SniffFailureCode, reason: string): SniffResult {
  return { ok: false, code, reason };
}

function firstNonWhitespace(bytes: Buffer, from: number): number {
  for (let i = from; i < bytes.length; i++) {
    const byte = bytes[i];
    // space, TAB, LF, VT, FF, CR
    if (byte !== 0x20 && (byte === undefined || byte < 0x09 || byte > 0x0d)) return i;
  }
  return -1;
}

function readCandidate(
  head: Buffer,
  headerStart: number,
  headerLine: number,
  delimiter: Delimiter,
  encoding: Encoding,
  complete: boolean,
): HeaderCandidate {
  const format: CsvFormat = { delimiter, encoding, hasBom: false };
  const rowEnds: { end: number; lineAfter: number }[] = [];
  const scanner = new RecordScanner(delimiterByte(delimiter), headerStart, headerLine, (end, isRow, lineAfter) => {
    // The header and the records that may break a tie are all that is needed, however long the head.
    if (isRow && rowEnds.length <= TIE_BREAK_RECORDS) rowEnds.push({ end, lineAfter });
  });
  scanner.write(head.subarray(headerStart));
  const openQuote = scanner.openQuote;
  if (complete && openQuote === undefined) scanner.end();

  const header = rowEnds[0];
  if (header === undefined) {
    // Count the fields seen so far; an open quote starts the last one.
    const seen = head.subarray(headerStart, openQuote?.offset ?? head.length);
    const fieldCount = seen.length === 0 ? 1 : (parseRecords(seen, format)[0]?.length ?? 1);
    return { delimiter, fieldCount, consistentRecords: 0, openQuote };
  }
  const fieldCount = parseRecords(head.subarray(headerStart, header.end), format)[0]?.length ?? 1;
  const tieBreakEnd = rowEnds[Math.min(TIE_BREAK_RECORDS, rowEnds.length - 1)]?.end ?? header.end;
  const following = parseRecords(head.subarray(header.end, tieBreakEnd), format);
  const consistentRecords = following.filter((record) => record.length === fieldCount).length;
  return { delimiter, fieldCount, consistentRecords, end: header.end, lineAfter: header.lineAfter };
}

// Most header fields wins; then the candidate whose next records have the header's field count;
// then the order of DELIMITERS, which puts ',' first.
function pickDelimiter(candidates: HeaderCandidate[]): HeaderCandidate {
  let best: HeaderCandidate | undefined;
  for (const candidate of candidates) {
    if (
      best === undefined ||
      candidate.fieldCount > best.fieldCount ||
      (candidate.fieldCount === best.fieldCount && candidate.consistentRecords > best.consistentRecords)
    ) {
      best = candidate;
    }
  }
  if (best === undefined) throw new Error('no delimiter candidates');
  return best;
}

function parseRecords(bytes: Buffer, format: CsvFormat): string[][] {
  return parseSync(bytes, parserOptions(format)).map((record) => finishRecord(record, format));
}

function cleanHeaderCell(cell: string): string {
  return cell.replace(/^\uFEFF/, '').trim();
}
