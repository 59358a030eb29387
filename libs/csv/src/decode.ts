import type { Encoding } from './types';

// windows-1252 differs from Latin-1 only in 0x80-0x9F. Node 20.18.3+ TextDecoder('windows-1252') wrongly
// decodes that range as Latin-1 (nodejs/node#56542, #60888), so the WHATWG mapping is applied here.
// The five bytes windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to the same C1 code points.
const WINDOWS_1252_HIGH_CONTROLS = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c,
  0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];
const C1_RANGE = /[\x80-\x9f]/g;

/** Turns a string decoded as Latin-1 (one char per byte) into the windows-1252 reading of the same bytes. */
export function latin1ToWindows1252(latin1: string): string {
  return latin1.replace(C1_RANGE, (char) => String.fromCharCode(WINDOWS_1252_HIGH_CONTROLS[char.charCodeAt(0) - 0x80] ?? 0xfffd));
}

/**
 * `complete: false` means `bytes` may stop in the middle of a multi-byte character; that cut is not
 * evidence against UTF-8.
 */
export function detectEncoding(bytes: Buffer, complete: boolean): Encoding {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: !complete });
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}
