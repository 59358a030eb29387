import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type CompletedPart,
  InvalidPartError,
  MULTIPART_MAX_PARTS,
  MultipartUploadNotFoundError,
  type ObjectInfo,
  type ObjectRef,
  type PutOptions,
  type UploadedPart,
  type UploadedPartsPage,
} from '@refinery/ports';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files';

/** ListParts' page size on S3, and the most one page may hold. */
const MAX_PARTS_PER_PAGE = 1000;
const UPLOAD_ID = /^[0-9a-f]{32}$/;
/** A stored part: `<part number, 5 digits>-<md5 hex>`, so a listing needs no read of the part's bytes. */
const PART_FILE = /^(\d{5})-([0-9a-f]{32})$/;

interface UploadRecord {
  readonly bucket: string;
  readonly key: string;
  readonly contentType?: string;
}

export interface LocalMultipartUploadsOptions {
  /** The object store's folder; uploads live in its `.multipart/<upload id>/`, outside every bucket. */
  readonly root: string;
  /** Validates a ref (bucket name, key) as the object store does. */
  readonly checkRef: (ref: ObjectRef) => void;
  /** Writes the completed object (temporary file, then renamed into place, then its Object Created notification). */
  readonly put: (ref: ObjectRef, body: AsyncIterable<Buffer>, options: PutOptions) => Promise<ObjectInfo>;
}

/**
 * S3's multipart uploads on plain files: one folder per upload, each part a file written aside and renamed into place
 * (a broken connection leaves no part, a part sent again replaces the earlier one). Completion streams the parts named,
 * in order, through the object store's put, so the object appears whole and its Object Created event fires once.
 * Unlike S3, parts of any size are taken (S3 refuses all but the last under 5 MiB at completion).
 */
export class LocalMultipartUploads {
  constructor(private readonly options: LocalMultipartUploadsOptions) {}

  async start(ref: ObjectRef, options: { contentType?: string } = {}): Promise<string> {
    this.options.checkRef(ref);
    const uploadId = randomUUID().replace(/-/g, '');
    const dir = this.dirOf(uploadId);
    await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const record: UploadRecord = { bucket: ref.bucket, key: ref.key, ...(options.contentType ? { contentType: options.contentType } : {}) };
    await fs.writeFile(join(dir, 'upload.json'), JSON.stringify(record), { mode: PRIVATE_FILE_MODE });
    return uploadId;
  }

  /** Stores one part from a request body; returns its ETag (the quoted MD5 of its bytes, as S3's). */
  async uploadPart(ref: ObjectRef, uploadId: string, partNumber: number, body: Readable): Promise<{ etag: string; sizeBytes: number }> {
    checkPartNumber(partNumber);
    const dir = await this.openUpload(ref, uploadId);
    const incoming = join(dir, `.incoming-${randomUUID()}`);
    const hash = createHash('md5');
    let sizeBytes = 0;
    try {
      await pipeline(
        body,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            sizeBytes += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(incoming, { mode: PRIVATE_FILE_MODE }),
      );
      const md5 = hash.digest('hex');
      const name = partFileName(partNumber, md5);
      await fs.rename(incoming, join(dir, name));
      // The part sent before under this number (if any) is replaced.
      const prefix = `${name.slice(0, 5)}-`;
      for (const entry of await fs.readdir(dir)) {
        if (entry.startsWith(prefix) && entry !== name) await fs.rm(join(dir, entry), { force: true });
      }
      return { etag: `"${md5}"`, sizeBytes };
    } catch (error) {
      await fs.rm(incoming, { force: true });
      throw error;
    }
  }

  async listParts(ref: ObjectRef, uploadId: string, options: { after?: number; limit?: number } = {}): Promise<UploadedPartsPage> {
    const dir = await this.openUpload(ref, uploadId);
    const limit = Math.min(Math.max(1, options.limit ?? MAX_PARTS_PER_PAGE), MAX_PARTS_PER_PAGE);
    const after = options.after ?? 0;
    const parts = (await this.partsOf(dir)).filter((part) => part.partNumber > after);
    const page = parts.slice(0, limit);
    const last = page.at(-1);
    return { parts: page, ...(parts.length > limit && last ? { nextAfter: last.partNumber } : {}) };
  }

  async complete(ref: ObjectRef, uploadId: string, parts: readonly CompletedPart[], options: { ifNoneMatch?: '*' } = {}): Promise<ObjectInfo> {
    const dir = await this.openUpload(ref, uploadId);
    const record = await readRecord(dir);
    if (parts.length === 0) throw new InvalidPartError(ref, 'no parts were named');
    const stored = new Map((await this.partsOf(dir)).map((part) => [part.partNumber, part]));
    const files: string[] = [];
    let previous = 0;
    for (const part of parts) {
      if (part.partNumber <= previous)
        throw new InvalidPartError(ref, `the parts are not in ascending order (part ${part.partNumber} after ${previous})`);
      previous = part.partNumber;
      const found = stored.get(part.partNumber);
      if (!found) throw new InvalidPartError(ref, `part ${part.partNumber} was never uploaded`);
      if (unquote(found.etag) !== unquote(part.etag)) {
        throw new InvalidPartError(ref, `part ${part.partNumber} has ETag ${found.etag}, not ${part.etag}`);
      }
      files.push(join(dir, partFileName(part.partNumber, unquote(found.etag))));
    }
    const info = await this.options.put(ref, concatenate(files), {
      ...(record.contentType ? { contentType: record.contentType } : {}),
      ...(options.ifNoneMatch ? { ifNoneMatch: options.ifNoneMatch } : {}),
    });
    await fs.rm(dir, { recursive: true, force: true });
    return info;
  }

  async abort(ref: ObjectRef, uploadId: string): Promise<void> {
    try {
      await fs.rm(await this.openUpload(ref, uploadId), { recursive: true, force: true });
    } catch (error) {
      if (!(error instanceof MultipartUploadNotFoundError)) throw error;
    }
  }

  /** The upload's folder; MultipartUploadNotFoundError when it is not open for this ref (as S3's NoSuchUpload). */
  private async openUpload(ref: ObjectRef, uploadId: string): Promise<string> {
    this.options.checkRef(ref);
    if (!UPLOAD_ID.test(uploadId)) throw new MultipartUploadNotFoundError(ref, uploadId);
    const dir = this.dirOf(uploadId);
    const record = await readRecord(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!record || record.bucket !== ref.bucket || record.key !== ref.key) throw new MultipartUploadNotFoundError(ref, uploadId);
    return dir;
  }

  private async partsOf(dir: string): Promise<UploadedPart[]> {
    const parts = new Map<number, UploadedPart & { mtimeMs: number }>();
    for (const entry of await fs.readdir(dir)) {
      const match = PART_FILE.exec(entry);
      if (!match) continue;
      const stat = await fs.stat(join(dir, entry)).catch(() => undefined);
      if (!stat) continue; // replaced by a newer copy while listing
      const partNumber = Number(match[1]);
      const seen = parts.get(partNumber);
      // Two copies only while a part sent again replaces the earlier one: the newer wins.
      if (!seen || stat.mtimeMs > seen.mtimeMs)
        parts.set(partNumber, { partNumber, etag: `"${match[2]}"`, sizeBytes: stat.size, mtimeMs: stat.mtimeMs });
    }
    return [...parts.values()]
      .sort((a, b) => a.partNumber - b.partNumber)
      .map(({ partNumber, etag, sizeBytes }) => ({ partNumber, etag, sizeBytes }));
  }

  private dirOf(uploadId: string): string {
    return join(this.options.root, '.multipart', uploadId);
  }
}

export function checkPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MULTIPART_MAX_PARTS) {
    throw new RangeError(`part numbers are 1 to ${MULTIPART_MAX_PARTS}, got ${partNumber}`);
  }
}

async function readRecord(dir: string): Promise<UploadRecord> {
  return JSON.parse(await fs.readFile(join(dir, 'upload.json'), 'utf8')) as UploadRecord;
}

function partFileName(partNumber: number, md5: string): string {
  return `${String(partNumber).padStart(5, '0')}-${md5}`;
}

function unquote(etag: string): string {
  return etag.replace(/"/g, '');
}

async function* concatenate(files: readonly string[]): AsyncIterable<Buffer> {
  for (const file of files) for await (const chunk of createReadStream(file)) yield chunk as Buffer;
}
