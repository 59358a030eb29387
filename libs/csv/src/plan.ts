import { delimiterByte } from './bytes';
import { RecordScanner } from './scan';
import type { ChunkPlan, CsvFormat, PlanOptions } from './types';

/**
 * Streams the data section (the source starts at `options.dataStart`) once and yields byte ranges that
 * start and end on record boundaries. A chunk closes after `chunkRows` rows, or earlier once it holds a row
 * and `maxChunkBytes` bytes. Blank lines between chunks belong to the next chunk; blank lines after the
 * last row belong to no chunk. Memory does not grow with the input: only the scanner state is kept.
 * Throws CsvFormatError 'unterminated-quote' when the data ends inside a quoted field.
 */
export async function* planChunks(source: AsyncIterable<Buffer | Uint8Array>, format: CsvFormat, options: PlanOptions): AsyncGenerator<ChunkPlan> {
  const { dataStart, dataStartLine, chunkRows } = options;
  const maxChunkBytes = options.maxChunkBytes ?? Number.POSITIVE_INFINITY;
  checkOptions(options);

  let ready: ChunkPlan[] = [];
  let index = 0;
  let start = dataStart;
  let firstRow = 0;
  let firstLine = dataStartLine;
  let rowCount = 0;
  let lastRowEnd = dataStart;

  const close = (end: number, lineAfter: number): void => {
    ready.push({ index, start, end, firstRow, rowCount, firstLine });
    index++;
    start = end;
    firstRow += rowCount;
    firstLine = lineAfter;
    rowCount = 0;
  };

  const scanner = new RecordScanner(delimiterByte(format.delimiter), dataStart, dataStartLine, (end, isRow, lineAfter) => {
    if (!isRow) return;
    rowCount++;
    lastRowEnd = end;
    if (rowCount >= chunkRows || end - start >= maxChunkBytes) close(end, lineAfter);
  });

  for await (const chunk of source) {
    scanner.write(chunk);
    if (ready.length > 0) {
      const plans = ready;
      ready = [];
      yield* plans;
    }
  }
  scanner.end();
  if (rowCount > 0) close(lastRowEnd, 0);
  yield* ready;
}

function checkOptions(options: PlanOptions): void {
  const { dataStart, dataStartLine, chunkRows, maxChunkBytes } = options;
  if (!Number.isSafeInteger(dataStart) || dataStart < 0) throw new RangeError(`dataStart must be a byte offset, got ${dataStart}`);
  if (!Number.isSafeInteger(dataStartLine) || dataStartLine < 1) {
    throw new RangeError(`dataStartLine must be a 1-based line number, got ${dataStartLine}`);
  }
  if (!Number.isSafeInteger(chunkRows) || chunkRows < 1) throw new RangeError(`chunkRows must be a positive integer, got ${chunkRows}`);
  if (maxChunkBytes !== undefined && !(maxChunkBytes >= 1)) {
    throw new RangeError(`maxChunkBytes must be at least 1, got ${maxChunkBytes}`);
  }
}
