import { pipeline, Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { asBuffer } from './bytes';
import { CsvFormatError } from './errors';
import { finishRecord, parserOptions } from './parser-options';
import type { CsvFormat } from './types';

/**
 * Parses the records of one byte range (or any slice that starts on a record boundary), in order,
 * skipping blank lines. Ragged rows are returned as they are.
 * Throws CsvFormatError 'unterminated-quote' when the slice ends inside a quoted field (a planned range
 * never does); its `line` is csv-parse's line count, from the start of the slice, where the data ended.
 */
export async function* parseCsvRecords(source: AsyncIterable<Buffer | Uint8Array> | Buffer, format: CsvFormat): AsyncGenerator<string[]> {
  const parser = parse(parserOptions(format));
  const input = Readable.from(pieces(Buffer.isBuffer(source) ? [source] : source));
  // pipeline destroys both streams when either fails or the consumer stops early; the error itself
  // surfaces through the iteration below, so the callback has nothing left to do.
  pipeline(input, parser, () => undefined);
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      yield finishRecord(record, format);
    }
  } catch (error) {
    throw toFormatError(error);
  } finally {
    parser.destroy();
  }
}

// csv-parse turns a whole input chunk into records at once, whatever the backpressure; feeding it
// small pieces keeps the records waiting for the consumer few, even for a Buffer of a whole range.
const PIECE_BYTES = 64 * 1024;

async function* pieces(source: AsyncIterable<Buffer | Uint8Array> | Iterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    const bytes = asBuffer(chunk);
    for (let at = 0; at < bytes.length; at += PIECE_BYTES) yield bytes.subarray(at, at + PIECE_BYTES);
  }
}

function toFormatError(error: unknown): unknown {
  if (!(error instanceof CsvError) || error.code !== 'CSV_QUOTE_NOT_CLOSED') return error;
  const lines = typeof error.lines === 'number' ? error.lines : 0;
  return new CsvFormatError(`the data ends inside a quoted field (csv-parse: ${error.message}): unterminated quote`, 'unterminated-quote', lines, {
    cause: error,
  });
}
