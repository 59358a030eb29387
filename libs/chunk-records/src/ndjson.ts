import { Readable } from 'node:stream';

// One stream chunk per ~64 KB of lines instead of one per row.
const WRITE_SIZE = 65_536;

/** Serializes rows as NDJSON, streaming (bounded memory whatever the row count). */
export function toNdjson(rows: AsyncIterable<unknown> | Iterable<unknown>): Readable {
  return Readable.from(
    (async function* () {
      let batch = '';
      for await (const row of rows) {
        batch += `${JSON.stringify(row)}\n`;
        if (batch.length >= WRITE_SIZE) {
          yield batch;
          batch = '';
        }
      }
      if (batch) yield batch;
    })(),
  );
}

/**
 * toNdjson of rows that arrive in arrays (every row of every array, in order): the same bytes, with one turn of the
 * async iteration per array instead of one per row — the matcher decides its rows a batch at a time, and each level
 * of async iteration a row passes through costs it a promise and a resumption.
 */
export function toNdjsonBatches(batches: AsyncIterable<readonly unknown[]>): Readable {
  return Readable.from(
    (async function* () {
      let batch = '';
      for await (const rows of batches) {
        for (const row of rows) {
          batch += `${JSON.stringify(row)}\n`;
          if (batch.length >= WRITE_SIZE) {
            yield batch;
            batch = '';
          }
        }
      }
      if (batch) yield batch;
    })(),
  );
}

/**
 * Parses NDJSON from a byte stream, one value per non-empty line; a bad line throws with its line number.
 * Linear in the input whatever the line lengths: each chunk is searched for line feeds once, as bytes, and a line that
 * spans chunks is kept as its pieces and joined once at its end (appending every chunk to one pending string and
 * searching it again made a long line cost the square of its length). Each line is decoded on its own, straight from
 * the chunk's bytes: no streaming decoder, and a line of ASCII stays a one-byte string for JSON.parse even when
 * another line of the chunk is not (the rows of a job are read twice through here, by the labeler and the merger).
 */
export async function* fromNdjson<T>(source: AsyncIterable<Buffer | string>): AsyncGenerator<T> {
  let pieces: Buffer[] = [];
  let line = 0;
  // Text chunks are encoded to bytes; a surrogate pair split between two of them is encoded once whole.
  let highSurrogate = '';
  for await (const chunk of source) {
    let bytes: Buffer;
    if (typeof chunk === 'string') {
      const text = highSurrogate + chunk;
      const last = text.charCodeAt(text.length - 1);
      highSurrogate = last >= 0xd800 && last <= 0xdbff ? text.slice(-1) : '';
      bytes = Buffer.from(highSurrogate ? text.slice(0, -1) : text);
    } else bytes = chunk;
    let start = 0;
    let newline = bytes.indexOf(LF);
    while (newline !== -1) {
      line += 1;
      let text: string;
      if (pieces.length === 0) text = bytes.toString('utf8', start, newline);
      else {
        pieces.push(bytes.subarray(start, newline));
        text = Buffer.concat(pieces).toString('utf8');
        pieces = [];
      }
      if (line === 1) text = withoutByteOrderMark(text);
      if (!isBlank(text)) yield parseLine<T>(text, line);
      start = newline + 1;
      newline = bytes.indexOf(LF, start);
    }
    // Copied: the source may reuse its buffer for the next chunk.
    if (start < bytes.length) pieces.push(Buffer.from(bytes.subarray(start)));
  }
  if (highSurrogate) pieces.push(Buffer.from(highSurrogate));
  if (pieces.length > 0) {
    line += 1;
    const joined = Buffer.concat(pieces).toString('utf8');
    const text = line === 1 ? withoutByteOrderMark(joined) : joined;
    if (!isBlank(text)) yield parseLine<T>(text, line);
  }
}

const LF = 0x0a;

function parseLine<T>(text: string, line: number): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`NDJSON line ${line} is not valid JSON: ${(error as Error).message}`);
  }
}

/** A byte order mark at the start of the input is no part of its first line (TextDecoder, which read this before, dropped it). */
function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** True for an empty or whitespace-only line; a line starting with a printable ASCII character is never blank. */
function isBlank(text: string): boolean {
  const code = text.charCodeAt(0);
  return !(code > 0x20 && code < 0x7f) && text.trim() === '';
}
