import { Readable } from 'node:stream';

/** Serializes rows as NDJSON, streaming (bounded memory whatever the row count). */
export function toNdjson(rows: AsyncIterable<unknown> | Iterable<unknown>): Readable {
  return Readable.from(
    (async function* () {
      let batch = '';
      for await (const row of rows) {
        batch += `${JSON.stringify(row)}\n`;
        // Fewer, larger writes: one stream chunk per ~64 KB instead of one per row.
        if (batch.length >= 65_536) {
          yield batch;
          batch = '';
        }
      }
      if (batch) yield batch;
    })(),
  );
}

/**
 * Parses NDJSON from a byte stream, one value per non-empty line; a bad line throws with its line number.
 * Linear in the input whatever the line lengths: each chunk is decoded and searched for line feeds once, and a line
 * that spans chunks is kept as its pieces and joined once at its end (appending every chunk to one pending string
 * and searching it again made a long line cost the square of its length).
 */
export async function* fromNdjson<T>(source: AsyncIterable<Buffer | string>): AsyncGenerator<T> {
  let pieces: string[] = [];
  let line = 0;
  const decoder = new TextDecoder('utf-8');
  const parse = (text: string): T => {
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new Error(`NDJSON line ${line} is not valid JSON: ${(error as Error).message}`);
    }
  };
  const takeLine = (last: string): string => {
    const text = pieces.length === 0 ? last : `${pieces.join('')}${last}`;
    pieces = [];
    line += 1;
    return text;
  };
  for await (const chunk of source) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      const lineText = takeLine(text.slice(start, newline));
      if (lineText.trim()) yield parse(lineText);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    if (start < text.length) pieces.push(start === 0 ? text : text.slice(start));
  }
  const rest = decoder.decode();
  if (rest) pieces.push(rest);
  if (pieces.length > 0) {
    const lastText = takeLine('');
    if (lastText.trim()) yield parse(lastText);
  }
}
