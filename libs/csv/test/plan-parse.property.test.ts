import { parse as parseSync } from 'csv-parse/sync';
import type { ChunkPlan, Delimiter } from '../src/index';
import { CsvFormatError, DEFAULT_CSV_LIMITS, readCsvRows, sniffCsv } from '../src/index';
import { collect, format, lineAt, parseRange, pick, pieces, plan, prng, randomInt, randomSizes, referenceRecords } from './helpers';

// Hundreds of files each; a busy CI machine can take several times the usual few seconds.
const PROPERTY_TIMEOUT_MS = 60_000;
const DELIMITERS: readonly Delimiter[] = [',', ';', '\t', '|'];
const TERMINATORS = ['\n', '\r\n'];
// Every character class the rules care about, plus multi-byte UTF-8 (2, 3 and 4 bytes).
const TEXT = ['a', 'b', 'Z', '1', ' ', 'é', '漢', '😀', ',', ';', '\t', '|', '"', '\r', '\n', '\r\n', "'", '='];

function text(random: () => number, alphabet: readonly string[], maxLength: number): string {
  let value = '';
  for (let i = randomInt(random, 0, maxLength); i > 0; i--) value += pick(random, alphabet);
  return value;
}

function cell(random: () => number, chaos: boolean): string {
  const roll = random();
  if (roll < 0.15) return '';
  if (roll < 0.45) {
    // Unquoted: no line breaks; quotes after the first byte are literal.
    const body = text(
      random,
      TEXT.filter((c) => !c.includes('\n') && c !== '"'),
      6,
    );
    return random() < 0.2 ? `${body || 'x'}"${text(random, ['a', '"', '漢'], 3)}` : body;
  }
  if (roll < 0.9) {
    const quoted = `"${text(random, TEXT, 8).replaceAll('"', '""')}"`;
    // A quote followed by something other than a delimiter or terminator: csv-parse's relaxed close.
    return random() < 0.15 ? `${quoted}${text(random, ['x', '"', ' ', '\r'], 3)}` : quoted;
  }
  return chaos ? text(random, [...TEXT, '\0', '""', '"\r', '"\n'], 6) : 'plain';
}

function dataSection(random: () => number, delimiter: Delimiter, chaos: boolean): string {
  let data = '';
  const rows = randomInt(random, 0, 14);
  for (let row = 0; row < rows; row++) {
    const roll = random();
    if (roll < 0.12) {
      data += pick(random, TERMINATORS);
      continue;
    }
    if (roll < 0.15) {
      // A lone CR is content, so this line is a row, not a blank line.
      data += `\r${pick(random, TERMINATORS)}`;
      continue;
    }
    const cells = Array.from({ length: randomInt(random, 1, 5) }, () => cell(random, chaos));
    data += cells.join(delimiter);
    const last = row === rows - 1;
    if (!last || random() < 0.7) data += pick(random, TERMINATORS);
  }
  if (random() < 0.2) data += pick(random, TERMINATORS).repeat(randomInt(random, 1, 3));
  return data;
}

function chunkOptions(random: () => number): { chunkRows: number; maxChunkBytes?: number } {
  const chunkRows = randomInt(random, 1, 6);
  return random() < 0.3 ? { chunkRows, maxChunkBytes: randomInt(random, 1, 40) } : { chunkRows };
}

interface RecordWithInfo {
  record: string[];
  info: { bytes: number };
}

/** csv-parse over a whole file (BOM skipped), with the byte offset after each record. */
function parseWithOffsets(file: Buffer, delimiter: Delimiter, to?: number): RecordWithInfo[] {
  const records: unknown = parseSync(file, {
    delimiter,
    record_delimiter: ['\r\n', '\n'],
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    bom: true,
    info: true,
    ...(to === undefined ? {} : { to }),
  });
  // csv-parse's typings do not model `info: true`, which wraps each record as { record, info }.
  return records as RecordWithInfo[];
}

async function expectAgreement(
  file: Buffer,
  delimiter: Delimiter,
  dataStart: number,
  dataStartLine: number,
  expected: string[][],
  random: () => number,
): Promise<void> {
  const csvFormat = format(delimiter);
  const options = chunkOptions(random);
  const chunks: ChunkPlan[] = await plan(file, csvFormat, { dataStart, dataStartLine, ...options }, randomSizes(random));

  const parsed: string[][] = [];
  let nextStart = dataStart;
  let nextRow = 0;
  for (const [index, chunk] of chunks.entries()) {
    const records = await parseRange(file, chunk, csvFormat, randomSizes(random));
    // The row reader (with its limits, which these small rows keep within) reads the same cells from the same range;
    // the only problem it may see is a NUL some cells hold.
    const rows = await collect(
      readCsvRows(pieces(file.subarray(chunk.start, chunk.end), randomSizes(random)), csvFormat, {
        limits: DEFAULT_CSV_LIMITS,
        firstLine: chunk.firstLine,
      }),
    );
    expect(rows.map((row) => row.cells)).toEqual(records);
    for (const row of rows)
      expect(row.problem === undefined || (row.problem.kind === 'nul-character' && row.cells.join('').includes('\0'))).toBe(true);
    expect(chunk.index).toBe(index);
    expect(chunk.start).toBe(nextStart);
    expect(chunk.firstRow).toBe(nextRow);
    expect(chunk.rowCount).toBe(records.length);
    expect(chunk.rowCount).toBeGreaterThan(0);
    expect(chunk.rowCount).toBeLessThanOrEqual(options.chunkRows);
    expect(chunk.firstLine).toBe(lineAt(file, chunk.start));
    parsed.push(...records);
    nextStart = chunk.end;
    nextRow += chunk.rowCount;
  }
  expect(parsed).toEqual(expected);
  // The last chunk ends right after the last row's terminator: only blank lines remain after it.
  if (chunks.length > 0) {
    const data = file.subarray(dataStart).toString('latin1');
    const trailing = /(\r?\n)+$/.exec(data)?.[0] ?? '';
    const lastRowTerminator = trailing.startsWith('\r\n') ? 2 : trailing === '' ? 0 : 1;
    expect(nextStart).toBe(file.length - trailing.length + lastRowTerminator);
  } else {
    expect(file.subarray(dataStart).toString('latin1')).toMatch(/^(\r?\n)*$/);
  }
}

async function expectSameFailure(file: Buffer, delimiter: Delimiter, dataStart: number, dataStartLine: number, random: () => number): Promise<void> {
  const failure = plan(file, format(delimiter), { dataStart, dataStartLine, chunkRows: 3 }, randomSizes(random));
  await expect(failure).rejects.toBeInstanceOf(CsvFormatError);
  await expect(failure).rejects.toMatchObject({ code: 'unterminated-quote' });
  const rows = collect(readCsvRows(pieces(file.subarray(dataStart), randomSizes(random)), format(delimiter), { limits: DEFAULT_CSV_LIMITS }));
  await expect(rows).rejects.toMatchObject({ code: 'unterminated-quote' });
}

describe('planner and parser agree with csv-parse on random files', () => {
  test(
    'random data sections, random chunk sizes, input split into random pieces',
    async () => {
      let unterminated = 0;
      for (let seed = 1; seed <= 600; seed++) {
        const random = prng(seed);
        const delimiter = pick(random, DELIMITERS);
        const file = Buffer.from(dataSection(random, delimiter, true));
        let expected: string[][] | undefined;
        try {
          expected = referenceRecords(file, delimiter);
        } catch (error) {
          expect(error).toMatchObject({ code: 'CSV_QUOTE_NOT_CLOSED' });
        }
        try {
          if (expected === undefined) {
            unterminated++;
            await expectSameFailure(file, delimiter, 0, 1, random);
          } else {
            await expectAgreement(file, delimiter, 0, 1, expected, random);
          }
        } catch (error) {
          throw new Error(`seed ${seed}, delimiter ${JSON.stringify(delimiter)}, file ${JSON.stringify(file.toString())}: ${String(error)}`);
        }
      }
      // The generator must exercise both outcomes for the test to mean anything.
      expect(unterminated).toBeGreaterThan(20);
      expect(unterminated).toBeLessThan(300);
    },
    PROPERTY_TIMEOUT_MS,
  );

  test(
    'whole files: sniffed header boundary, then the same records as csv-parse over the whole file',
    async () => {
      let unterminated = 0;
      for (let seed = 1001; seed <= 1300; seed++) {
        const random = prng(seed);
        const delimiter = pick(random, DELIMITERS);
        // Header cells hold only the file's own delimiter, quotes and line breaks, so the delimiter is unambiguous.
        const headerCells = Array.from({ length: randomInt(random, 2, 5) }, (_, i) =>
          random() < 0.4 ? `"h${i}${text(random, [delimiter, '""', '\n', '\r\n', 'é', ' '], 4)}"` : ` h${i} `,
        );
        const bom = random() < 0.3 ? '\ufeff' : '';
        const leadingBlankLines = random() < 0.3 ? text(random, TERMINATORS, 3) : '';
        const headerLine = `${headerCells.join(delimiter)}${pick(random, TERMINATORS)}`;
        const file = Buffer.from(`${bom}${leadingBlankLines}${headerLine}${dataSection(random, delimiter, false)}`);
        try {
          const sniffed = sniffCsv(file, { complete: true });
          if (!sniffed.ok) throw new Error(`sniff failed: ${sniffed.reason}`);
          const { header } = sniffed;
          // The header alone (to: 1) parses even when a later data row leaves a quote open.
          const [first] = parseWithOffsets(file, delimiter, 1);
          if (first === undefined) throw new Error('no header record');
          expect(header.format).toEqual({ delimiter, encoding: 'utf-8', hasBom: bom !== '' });
          expect(header.columns).toEqual(first.record.map((column) => column.trim()));
          expect(header.dataStart).toBe(first.info.bytes);
          expect(header.dataStartLine).toBe(lineAt(file, header.dataStart));
          let rest: string[][] | undefined;
          try {
            rest = parseWithOffsets(file, delimiter)
              .slice(1)
              .map((entry) => entry.record);
          } catch (error) {
            expect(error).toMatchObject({ code: 'CSV_QUOTE_NOT_CLOSED' });
          }
          if (rest === undefined) {
            unterminated++;
            await expectSameFailure(file, delimiter, header.dataStart, header.dataStartLine, random);
          } else {
            await expectAgreement(file, delimiter, header.dataStart, header.dataStartLine, rest, random);
          }
        } catch (error) {
          throw new Error(`seed ${seed}, file ${JSON.stringify(file.toString())}: ${String(error)}`);
        }
      }
      expect(unterminated).toBeLessThan(100);
    },
    PROPERTY_TIMEOUT_MS,
  );
});
