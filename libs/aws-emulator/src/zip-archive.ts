// Reads a .zip file's entries from its central directory, and an entry's contents (stored or deflated): enough to look
// inside the Lambda packages serverless-esbuild writes, with nothing but Node.js (CI machines may lack `unzip`).
// ZIP64 archives (over 4 GB or 65,535 entries) are refused: a Lambda package is far below either.
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

export class ZipArchive {
  readonly entries: readonly ZipEntry[];

  private constructor(
    private readonly path: string,
    private readonly bytes: Buffer,
  ) {
    this.entries = this.readCentralDirectory();
  }

  static open(path: string): ZipArchive {
    return new ZipArchive(path, readFileSync(path));
  }

  get names(): string[] {
    return this.entries.map((entry) => entry.name);
  }

  /** An entry's contents, inflated. */
  read(name: string): Buffer {
    const entry = this.entries.find((candidate) => candidate.name === name);
    if (!entry) throw new Error(`${this.path} has no entry ${name}`);
    const offset = entry.localHeaderOffset;
    if (this.bytes.readUInt32LE(offset) !== LOCAL_FILE_HEADER) throw new Error(`${this.path}: bad local header for ${name}`);
    const start = offset + 30 + this.bytes.readUInt16LE(offset + 26) + this.bytes.readUInt16LE(offset + 28);
    const data = this.bytes.subarray(start, start + entry.compressedSize);
    if (entry.method === STORED) return Buffer.from(data);
    if (entry.method === DEFLATED) return inflateRawSync(data);
    throw new Error(`${this.path}: ${name} uses compression method ${entry.method}`);
  }

  private readCentralDirectory(): ZipEntry[] {
    const { bytes } = this;
    // The end-of-central-directory record is the last 22 bytes, unless a comment (at most 65,535 bytes) follows it.
    let end = -1;
    for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at -= 1) {
      if (bytes.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY) {
        end = at;
        break;
      }
    }
    if (end < 0) throw new Error(`${this.path} is not a zip file (no end of central directory)`);
    const count = bytes.readUInt16LE(end + 10);
    const directoryOffset = bytes.readUInt32LE(end + 16);
    if (count === 0xffff || directoryOffset === 0xffffffff) throw new Error(`${this.path} is a ZIP64 archive`);

    const entries: ZipEntry[] = [];
    let at = directoryOffset;
    for (let index = 0; index < count; index += 1) {
      if (bytes.readUInt32LE(at) !== CENTRAL_DIRECTORY_HEADER) throw new Error(`${this.path}: bad central directory entry ${index}`);
      const nameLength = bytes.readUInt16LE(at + 28);
      const extraLength = bytes.readUInt16LE(at + 30);
      const commentLength = bytes.readUInt16LE(at + 32);
      entries.push({
        method: bytes.readUInt16LE(at + 10),
        compressedSize: bytes.readUInt32LE(at + 20),
        size: bytes.readUInt32LE(at + 24),
        localHeaderOffset: bytes.readUInt32LE(at + 42),
        name: bytes.toString('utf8', at + 46, at + 46 + nameLength),
      });
      at += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
  }
}
