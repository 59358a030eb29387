// Formats users upload by mistake instead of a CSV export, named so the reason can say what to do.
const SIGNATURES: readonly { bytes: readonly number[]; name: string }[] = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], name: 'a ZIP archive (an Excel .xlsx workbook is one: export it as CSV)' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], name: 'a legacy Office document (an Excel .xls workbook: export it as CSV)' },
  { bytes: [0x1f, 0x8b], name: 'a gzip archive' },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], name: 'a PDF document' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], name: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], name: 'a JPEG image' },
];
// The same signatures as they arrive from the web page, which sends a file's head as text decoded as Windows-1252
// when it is not UTF-8 (apps/web read-head.js), re-encoded here as UTF-8: 0x89 became U+2030 "‰", 0x8B U+2039.
// Browsers decode by the WHATWG table, which differs from Latin-1 in 0x80-0x9F, so that range is spelled out (and
// Latin-1's reading kept too, for clients that decode that way).
const WINDOWS_1252_80_9F = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c,
  0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];
const asText = (bytes: readonly number[], table: (byte: number) => number): number[] => [
  ...Buffer.from(String.fromCodePoint(...bytes.map(table)), 'utf8'),
];
const DECODED_SIGNATURES = SIGNATURES.flatMap(({ bytes, name }) =>
  [asText(bytes, (byte) => (byte >= 0x80 && byte <= 0x9f ? (WINDOWS_1252_80_9F[byte - 0x80] as number) : byte)), asText(bytes, (byte) => byte)].map(
    (decoded) => ({ bytes: decoded, original: bytes, name }),
  ),
);
const SAMPLE_BYTES = 8192;
// Text files have almost no control characters besides TAB, LF and CR; binary formats are full of them. One stray
// NUL in a name is a bad character in one row (that row is reported invalid), not evidence the file is binary.
const MAX_CONTROL_SHARE = 0.1;
// U+FFFD in UTF-8: what binary bytes become once something decoded them as text (a browser sending a file's head).
const REPLACEMENT = [0xef, 0xbf, 0xbd] as const;

/**
 * Why `head` is not text, or undefined when it looks like text. Decided on the share of control bytes (NUL
 * included) and replacement characters (U+FFFD) in the first 8 KiB, never on one byte. UTF-16 with a byte order mark is text (see utf16ByteOrder):
 * check for it before calling this.
 */
export function binaryReason(head: Buffer): string | undefined {
  for (const signature of SIGNATURES) {
    if (signature.bytes.every((byte, i) => head[i] === byte)) {
      return `looks like ${signature.name} (starts with bytes ${hex(signature.bytes)})`;
    }
  }
  for (const signature of DECODED_SIGNATURES) {
    if (signature.bytes.every((byte, i) => head[i] === byte)) {
      return `looks like ${signature.name} (starts with bytes ${hex(signature.original)})`;
    }
  }
  const sample = head.subarray(0, SAMPLE_BYTES);
  let controls = 0;
  let nulsAtEven = 0;
  let nulsAtOdd = 0;
  for (let i = 0; i < sample.length; i++) {
    const byte = sample[i] as number;
    if (byte === 0) {
      if (i % 2 === 0) nulsAtEven++;
      else nulsAtOdd++;
    }
    if (isControl(byte)) controls++;
    else if (byte === REPLACEMENT[0] && sample[i + 1] === REPLACEMENT[1] && sample[i + 2] === REPLACEMENT[2]) controls++;
  }
  if (controls <= sample.length * MAX_CONTROL_SHARE) return undefined;
  const nuls = nulsAtEven + nulsAtOdd;
  // ASCII text in UTF-16 has a NUL in every other byte, all on the same side.
  if (nuls >= sample.length * 0.3 && Math.min(nulsAtEven, nulsAtOdd) <= nuls * 0.05) {
    return (
      'looks like UTF-16 text without a byte order mark (every other byte is NUL): save it as UTF-8, or as UTF-16 ' +
      `with its byte order mark (Excel's "Unicode Text" does)`
    );
  }
  return `${Math.round((100 * controls) / sample.length)}% of the first ${sample.length} bytes are control characters, NUL bytes or undecodable characters (binary data)`;
}

function isControl(byte: number): boolean {
  // TAB, LF, FF and CR occur in text.
  return (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d) || byte === 0x7f;
}

function hex(bytes: readonly number[]): string {
  return bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
}
