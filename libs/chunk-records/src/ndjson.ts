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

/** Parses NDJSON from a byte stream, one value per non-empty line; a bad line throws with its line number. */
export async function* fromNdjson<T>(source: AsyncIterable<Buffer | string>): AsyncGenerator<T> {
  let pending = '';
  let line = 0;
  const decoder = new TextDecoder('utf-8');
  const parse = (text: string): T => {
    line += 1;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new Error(`NDJSON line ${line} is not valid JSON: ${(error as Error).message}`);
    }
  };
  for await (const chunk of source) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const text = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (text.trim()) yield parse(text);
      else line += 1;
      newline = pending.indexOf('\n');
    }
  }
  pending += decoder.decode();
  if (pending.trim()) yield parse(pending);
}
