/**
 * A minimal reader for (uncompressed) tar archives: enough for Mailchimp's batch results, which come as a gzipped
 * tar of JSON files. POSIX ustar layout: every entry is a 512-byte header block followed by its data padded to a
 * multiple of 512; two zero blocks end the archive. Header fields used (offset, length):
 * name (0, 100), size (124, 12, octal — or base-256 when the first byte has its high bit set), checksum (148, 8),
 * typeflag (156, 1), magic (257, 6), prefix (345, 155, ustar only).
 * Long names are followed as GNU tar writes them (a 'L' entry holding the next entry's name) and as pax does
 * (an 'x' entry with a `path=` record). Other entry kinds (directories, links, global pax headers) are skipped.
 */

export interface TarEntry {
  readonly name: string;
  readonly data: Buffer;
}

const BLOCK = 512;

export class TarFormatError extends Error {
  override readonly name = 'TarFormatError';
}

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString('utf8');
}

function numeric(header: Buffer, offset: number, length: number): number {
  const raw = header.subarray(offset, offset + length);
  const first = raw[0] ?? 0;
  if ((first & 0x80) !== 0) {
    // GNU base-256: big-endian, the top bit of the first byte marks the encoding.
    let value = first & 0x7f;
    for (const byte of raw.subarray(1)) value = value * 256 + byte;
    return value;
  }
  const text = field(header, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`tar header has a non-octal number '${text}'`);
  return parseInt(text, 8);
}

function checksumMatches(header: Buffer): boolean {
  const stored = numeric(header, 148, 8);
  let sum = 0;
  for (const [i, byte] of header.entries()) sum += i >= 148 && i < 156 ? 0x20 : byte;
  return sum === stored;
}

function paxPath(data: Buffer): string | undefined {
  // Records are "<length> <key>=<value>\n", length counting the whole record.
  let at = 0;
  let path: string | undefined;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = parseInt(data.subarray(at, space).toString('ascii'), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0 && record.slice(0, eq) === 'path') path = record.slice(eq + 1);
    at += length;
  }
  return path;
}

/** The regular files of a tar archive, in archive order. Throws `TarFormatError` on a damaged or truncated archive. */
export function readTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let at = 0;
  let nextName: string | undefined;
  while (at + BLOCK <= archive.length) {
    const header = archive.subarray(at, at + BLOCK);
    if (header.every((byte) => byte === 0)) return entries; // end of archive
    if (!checksumMatches(header)) throw new TarFormatError(`tar header at byte ${at} has a bad checksum`);
    const size = numeric(header, 124, 12);
    const type = String.fromCharCode(header[156] ?? 0);
    const dataStart = at + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > archive.length) throw new TarFormatError(`tar entry at byte ${at} runs past the end of the archive`);
    const data = archive.subarray(dataStart, dataEnd);
    at = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    if (type === 'L') {
      nextName = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    if (type === 'x') {
      nextName = paxPath(data) ?? nextName;
      continue;
    }
    const magic = field(header, 257, 6);
    const prefix = magic.startsWith('ustar') ? field(header, 345, 155) : '';
    const name = nextName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    nextName = undefined;
    if (type === '0' || type === '\0' || type === '7') entries.push({ name, data: Buffer.from(data) });
  }
  // Some writers stop without the two zero blocks; anything left that is not a whole header is damage.
  if (at < archive.length && !archive.subarray(at).every((byte) => byte === 0)) {
    throw new TarFormatError('tar archive ends inside a header');
  }
  return entries;
}
