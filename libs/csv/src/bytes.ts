import type { Delimiter } from './types';

export const LF = 0x0a;

export const DELIMITERS: readonly Delimiter[] = [',', ';', '\t', '|'];

export function delimiterByte(delimiter: Delimiter): number {
  return delimiter.charCodeAt(0);
}

// Buffer#indexOf is a native memchr; a plain Uint8Array would fall back to a slower generic search.
export function asBuffer(bytes: Buffer | Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function countLineFeeds(bytes: Buffer, start: number, end: number): number {
  let count = 0;
  let at = bytes.indexOf(LF, start);
  while (at !== -1 && at < end) {
    count++;
    at = bytes.indexOf(LF, at + 1);
  }
  return count;
}
