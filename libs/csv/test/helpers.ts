import { parse as parseSync } from 'csv-parse/sync';
import type { ChunkPlan, CsvFormat, Delimiter, PlanOptions } from '../src/index';
import { parseCsvRecords, planChunks } from '../src/index';

export const UTF8: Omit<CsvFormat, 'delimiter'> = { encoding: 'utf-8', hasBom: false };

export function format(delimiter: Delimiter = ','): CsvFormat {
  return { delimiter, ...UTF8 };
}

/** mulberry32: small, seedable, good enough to generate test data. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** The bytes as an async stream of the given piece sizes (cycled), as Uint8Array or Buffer pieces. */
export async function* pieces(bytes: Buffer, sizes: readonly number[] = [bytes.length || 1]): AsyncGenerator<Uint8Array> {
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const size = sizes[i % sizes.length] ?? 1;
    i++;
    const piece = bytes.subarray(at, at + size);
    at += piece.length;
    yield i % 2 === 0 ? new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength) : piece;
  }
}

/** Random piece sizes, mostly tiny so every kind of byte sequence gets split, with some empty pieces. */
export function randomSizes(random: () => number): number[] {
  const sizes = Array.from({ length: randomInt(random, 1, 12) }, () =>
    random() < 0.1 ? 0 : random() < 0.8 ? randomInt(random, 1, 4) : randomInt(random, 5, 64),
  );
  return [...sizes, randomInt(random, 1, 3)];
}

export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}

export function plan(file: Buffer, csvFormat: CsvFormat, options: PlanOptions, sizes?: readonly number[]): Promise<ChunkPlan[]> {
  return collect(planChunks(pieces(file.subarray(options.dataStart), sizes), csvFormat, options));
}

export async function parseRange(file: Buffer, chunk: ChunkPlan, csvFormat: CsvFormat, sizes?: readonly number[]): Promise<string[][]> {
  return collect(parseCsvRecords(pieces(file.subarray(chunk.start, chunk.end), sizes), csvFormat));
}

/** csv-parse itself, configured as the brief says, over a whole buffer: the reference the package must agree with. */
export function referenceRecords(bytes: Buffer, delimiter: Delimiter): string[][] {
  return parseSync(bytes, {
    delimiter,
    record_delimiter: ['\r\n', '\n'],
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    bom: false,
  });
}

export function lineAt(file: Buffer, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (file[i] === 0x0a) line++;
  return line;
}
