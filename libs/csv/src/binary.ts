// Formats users upload by mistake instead of a CSV export, named so the reason can say what to do.
const SIGNATURES: readonly { bytes: readonly number[]; name: string }[] = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], name: 'a ZIP archive (an Excel .xlsx workbook is one: export it as CSV)' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], name: 'a legacy Office document (an Excel .xls workbook: export it as CSV)' },
  { bytes: [0x1f, 0x8b], name: 'a gzip archive' },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], name: 'a PDF document' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], name: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], name: 'a JPEG image' },
  { bytes: [0xff, 0xfe], name: 'UTF-16 text (save it as UTF-8)' },
  { bytes: [0xfe, 0xff], name: 'UTF-16 text (save it as UTF-8)' },
];
const SAMPLE_BYTES = 8192;
// Text files have almost no control characters besides TAB, LF and CR; binary formats are full of them.
const MAX_CONTROL_SHARE = 0.1;

/** Why `head` is not text, or undefined when it looks like text. */
export function binaryReason(head: Buffer): string | undefined {
  for (const signature of SIGNATURES) {
    if (signature.bytes.every((byte, i) => head[i] === byte)) {
      return `looks like ${signature.name} (starts with bytes ${hex(signature.bytes)})`;
    }
  }
  const nul = head.indexOf(0);
  if (nul !== -1) return `NUL byte at byte offset ${nul} (binary data or UTF-16 text)`;
  const sample = head.subarray(0, SAMPLE_BYTES);
  let controls = 0;
  for (const byte of sample) {
    if (isControl(byte)) controls++;
  }
  if (controls > sample.length * MAX_CONTROL_SHARE) {
    return `${Math.round((100 * controls) / sample.length)}% of the first ${sample.length} bytes are control characters`;
  }
  return undefined;
}

function isControl(byte: number): boolean {
  // TAB, LF, FF and CR occur in text.
  return (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d) || byte === 0x7f;
}

function hex(bytes: readonly number[]): string {
  return bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
}
