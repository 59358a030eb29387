import { createHash, createHmac, type Hash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { Readable } from 'node:stream';
import {
  type ByteRange,
  type CompletedPart,
  type ComposeOptions,
  type ObjectBody,
  ObjectExistsError,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectRef,
  type ObjectStore,
  type PresignedRequest,
  type PresignPartOptions,
  type PresignPutOptions,
  type PutOptions,
  type UploadedPartsPage,
} from '@refinery/ports';
import { cachedStatement, type SqliteDatabase } from './database';
import { checkPartNumber, LocalMultipartUploads } from './local-multipart-uploads';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files';
import type { StorageHealth } from './storage-health';

export interface LocalObjectStoreOptions {
  /** Folder that holds one sub-folder per bucket. */
  readonly root: string;
  readonly db: SqliteDatabase;
  /** Secret for the local stand-in of presigned URLs. */
  readonly signingSecret: string;
  /** Base URL of the local HTTP gateway that serves presigned requests (known once it listens). */
  readonly publicBaseUrl: () => string;
  /**
   * Called after an object is complete, before `put` resolves — the local stand-in for S3's EventBridge notifications.
   * Because it runs before the writer hears "done", a writer that saw success knows the notification is published.
   */
  readonly onObjectCreated?: (ref: ObjectRef, info: ObjectInfo) => void;
  /** Hears of writes that fail on a full or read-only data dir (and turns their error into a DataDirFaultError). */
  readonly storage?: StorageHealth;
}

export interface PresignConditions {
  readonly contentType?: string | undefined;
  readonly ifNoneMatch?: '*' | undefined;
  readonly downloadName?: string | undefined;
  /** The exact body length a presigned PUT accepts. */
  readonly contentLength?: number | undefined;
  /** A presigned PUT of one part of a multipart upload: the upload and the part number. */
  readonly uploadId?: string | undefined;
  readonly partNumber?: number | undefined;
}

interface ObjectRow {
  size: number;
  etag: string;
  content_type: string | null;
  last_modified: number;
}

/**
 * Objects are read 1 MiB at a time rather than the file stream's default 64 KiB: a job's chunk objects (about 1 MB
 * each) are read by the labeler and the merger in one or two reads instead of about twenty, each of which costs a
 * system call, a stream event and an async-iterator step (0.9-1.2 ms of CPU per 1.2 MB object at 64 KiB, 0.6-0.8 ms
 * at 1 MiB, measured in a loop of reads).
 */
const READ_CHUNK = { highWaterMark: 1024 * 1024 } as const;

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * S3 semantics on plain files: an object is written to a temporary file and renamed into place, so it appears whole
 * or not at all (the local counterpart of a multipart upload's CompleteMultipartUpload). Metadata lives in SQLite.
 */
export class LocalObjectStore implements ObjectStore {
  private readonly multipart: LocalMultipartUploads;

  constructor(private readonly options: LocalObjectStoreOptions) {
    this.multipart = new LocalMultipartUploads({
      root: options.root,
      checkRef: (ref) => this.pathOf(ref),
      put: (ref, body, putOptions) => this.put(ref, body, putOptions),
    });
  }

  /** Removes temporary files left by writes that a crash interrupted. */
  async removeIncompleteWrites(): Promise<void> {
    await fs.rm(this.tmpDir(), { recursive: true, force: true });
  }

  async put(ref: ObjectRef, body: ObjectBody, options: PutOptions = {}): Promise<ObjectInfo> {
    try {
      return await this.write(ref, body, options);
    } catch (error) {
      throw this.options.storage?.report(error, this.options.root) ?? error;
    }
  }

  private async write(ref: ObjectRef, body: ObjectBody, options: PutOptions): Promise<ObjectInfo> {
    const path = this.pathOf(ref);
    await fs.mkdir(this.tmpDir(), { recursive: true, mode: PRIVATE_DIR_MODE });
    const tmp = join(this.tmpDir(), randomUUID());
    const hash = createHash('md5');
    let size = 0;
    try {
      size = await writeBody(tmp, body, hash);
      await fs.mkdir(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
      if (options.ifNoneMatch === '*') {
        // link() fails when the target exists: an atomic create-if-absent, like S3's If-None-Match: *.
        try {
          await fs.link(tmp, path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ObjectExistsError(ref);
          throw error;
        }
        await fs.rm(tmp, { force: true });
      } else {
        await fs.rename(tmp, path);
      }
    } catch (error) {
      await fs.rm(tmp, { force: true });
      throw error;
    }
    const info: ObjectInfo = {
      sizeBytes: size,
      etag: `"${hash.digest('hex')}"`,
      lastModified: new Date(),
      ...(options.contentType ? { contentType: options.contentType } : {}),
    };
    try {
      cachedStatement(
        this.options.db,
        `INSERT INTO objects (bucket, key, size, etag, content_type, last_modified) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, etag = excluded.etag,
             content_type = excluded.content_type, last_modified = excluded.last_modified`,
      ).run(ref.bucket, ref.key, info.sizeBytes, info.etag, info.contentType ?? null, info.lastModified.getTime());
      this.options.onObjectCreated?.(ref, info);
    } catch (error) {
      // The file is in place but its Object Created event could not be published (a full disk fails the SQLite write
      // too). A create-only object must then not stay: its writer will try again, and would find it there — with no
      // event ever sent for it (an upload whose job never starts).
      if (options.ifNoneMatch === '*') await fs.rm(path, { force: true }).catch(() => undefined);
      throw error;
    }
    return info;
  }

  async get(ref: ObjectRef, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(ref);
    const stat = await fs.stat(path).catch(() => undefined);
    if (!stat) throw new ObjectNotFoundError(ref);
    if (!range) return createReadStream(path, READ_CHUNK);
    const end = Math.min(range.end ?? stat.size, stat.size);
    if (range.start < 0 || (range.start >= stat.size && stat.size > 0) || end < range.start) {
      throw new RangeError(`invalid range ${range.start}-${range.end ?? ''} for ${ref.bucket}/${ref.key} of ${stat.size} bytes`);
    }
    if (end === range.start) return Readable.from([]);
    return createReadStream(path, { ...READ_CHUNK, start: range.start, end: end - 1 });
  }

  async getBuffer(ref: ObjectRef, range?: ByteRange): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.get(ref, range)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async head(ref: ObjectRef): Promise<ObjectInfo | undefined> {
    const path = this.pathOf(ref);
    const stat = await fs.stat(path).catch(() => undefined);
    if (!stat) return undefined;
    const row = this.options.db
      .prepare('SELECT size, etag, content_type, last_modified FROM objects WHERE bucket = ? AND key = ?')
      .get(ref.bucket, ref.key) as ObjectRow | undefined;
    if (row && row.size === stat.size) {
      return {
        sizeBytes: row.size,
        etag: row.etag,
        lastModified: new Date(row.last_modified),
        ...(row.content_type ? { contentType: row.content_type } : {}),
      };
    }
    // The file was renamed into place but the process died before its metadata was written: rebuild it.
    const hash = createHash('md5');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    return { sizeBytes: stat.size, etag: `"${hash.digest('hex')}"`, lastModified: stat.mtime };
  }

  async delete(ref: ObjectRef): Promise<void> {
    await fs.rm(this.pathOf(ref), { force: true });
    this.options.db.prepare('DELETE FROM objects WHERE bucket = ? AND key = ?').run(ref.bucket, ref.key);
  }

  async deletePrefix(bucket: string, prefix: string): Promise<number> {
    // The files are the truth (a crash may leave a file without its metadata row): walk the folder the prefix names.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const root = folder === '' ? dirname(this.pathOf({ bucket, key: 'any' })) : this.pathOf({ bucket, key: folder });
    let deleted = 0;
    for (const key of await listKeys(root, folder)) {
      if (!key.startsWith(prefix)) continue;
      await this.delete({ bucket, key });
      deleted += 1;
    }
    // Rows of objects whose file is already gone, and the folders left empty.
    this.options.db.prepare('DELETE FROM objects WHERE bucket = ? AND substr(key, 1, ?) = ?').run(bucket, prefix.length, prefix);
    if (folder !== '' && prefix.endsWith('/')) await fs.rm(root, { recursive: true, force: true });
    return deleted;
  }

  /** The sources streamed one after another into a new object, which `put` renames into place once complete. */
  async compose(target: ObjectRef, sources: readonly ObjectRef[], options: ComposeOptions = {}): Promise<ObjectInfo> {
    // Every source is checked first, so a missing one fails before anything is written.
    for (const source of sources) {
      if (!(await fs.stat(this.pathOf(source)).catch(() => undefined))) throw new ObjectNotFoundError(source);
    }
    const read = (ref: ObjectRef) => this.get(ref);
    async function* concatenated(): AsyncGenerator<Buffer> {
      for (const source of sources) yield* (await read(source)) as AsyncIterable<Buffer>;
    }
    return this.put(target, concatenated(), options.contentType ? { contentType: options.contentType } : {});
  }

  async presignPut(ref: ObjectRef, options: PresignPutOptions): Promise<PresignedRequest> {
    return this.presign('PUT', ref, options.expiresInSeconds, {
      contentType: options.contentType,
      ifNoneMatch: options.ifNoneMatch,
      contentLength: options.contentLength,
    });
  }

  async presignGet(ref: ObjectRef, options: { expiresInSeconds: number; downloadName?: string }): Promise<PresignedRequest> {
    return this.presign('GET', ref, options.expiresInSeconds, { downloadName: options.downloadName });
  }

  async startMultipartUpload(ref: ObjectRef, options?: { contentType?: string }): Promise<string> {
    return this.reportingStorage(() => this.multipart.start(ref, options));
  }

  async presignUploadPart(ref: ObjectRef, uploadId: string, partNumber: number, options: PresignPartOptions): Promise<PresignedRequest> {
    checkPartNumber(partNumber);
    return this.presign('PUT', ref, options.expiresInSeconds, { contentLength: options.contentLength, uploadId, partNumber });
  }

  /** Stores a part sent to a presigned part URL (the gateway calls this once verifyPresigned accepted the request). */
  async uploadPart(ref: ObjectRef, uploadId: string, partNumber: number, body: Readable): Promise<{ etag: string; sizeBytes: number }> {
    return this.reportingStorage(() => this.multipart.uploadPart(ref, uploadId, partNumber, body));
  }

  async listUploadedParts(ref: ObjectRef, uploadId: string, options?: { after?: number; limit?: number }): Promise<UploadedPartsPage> {
    return this.multipart.listParts(ref, uploadId, options);
  }

  async completeMultipartUpload(
    ref: ObjectRef,
    uploadId: string,
    parts: readonly CompletedPart[],
    options?: { ifNoneMatch?: '*' },
  ): Promise<ObjectInfo> {
    return this.reportingStorage(() => this.multipart.complete(ref, uploadId, parts, options));
  }

  async abortMultipartUpload(ref: ObjectRef, uploadId: string): Promise<void> {
    return this.multipart.abort(ref, uploadId);
  }

  /** A write that fails on a full or read-only data dir is reported (and its error becomes a DataDirFaultError). */
  private async reportingStorage<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      throw this.options.storage?.report(error, this.options.root) ?? error;
    }
  }

  /**
   * Checks a presigned request as S3 would: right method, not expired, signature over method, bucket, key, expiry and
   * the signed conditions, and the request carries the signed headers. Returns why it is refused, or the
   * conditions to apply when it is good.
   */
  verifyPresigned(
    method: string,
    ref: ObjectRef,
    query: URLSearchParams,
    headers: { contentType?: string; ifNoneMatch?: string; contentLength?: string; transferEncoding?: string },
  ): { ok: false; reason: string } | { ok: true; conditions: PresignConditions } {
    const expires = Number(query.get('X-Refinery-Expires'));
    const signature = query.get('X-Refinery-Signature') ?? '';
    const signedLength = query.get('X-Refinery-Content-Length');
    const partNumber = query.get('X-Refinery-Part-Number');
    const conditions: PresignConditions = {
      contentType: query.get('X-Refinery-Content-Type') ?? undefined,
      ifNoneMatch: query.get('X-Refinery-If-None-Match') === '*' ? '*' : undefined,
      downloadName: query.get('X-Refinery-Download-Name') ?? undefined,
      contentLength: signedLength === null ? undefined : Number(signedLength),
      uploadId: query.get('X-Refinery-Upload-Id') ?? undefined,
      partNumber: partNumber === null ? undefined : Number(partNumber),
    };
    if (!Number.isFinite(expires) || !signature) return { ok: false, reason: 'the URL is not a presigned URL' };
    const expected = this.signature(method, ref, expires, conditions);
    const given = Buffer.from(signature, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'the signature does not match' };
    if (Date.now() / 1000 > expires) return { ok: false, reason: 'the presigned URL has expired' };
    if (conditions.contentType && headers.contentType?.split(';')[0]?.trim() !== conditions.contentType) {
      return { ok: false, reason: `the Content-Type must be ${conditions.contentType}` };
    }
    if (conditions.ifNoneMatch && headers.ifNoneMatch !== '*') return { ok: false, reason: 'the If-None-Match: * header is required' };
    // As S3 with a signed content-length: the body must be exactly the size signed, declared up front (Node's parser
    // then reads that many bytes and no more), never chunked.
    if (conditions.contentLength !== undefined && (headers.contentLength !== String(conditions.contentLength) || headers.transferEncoding)) {
      return {
        ok: false,
        reason: `the body must be exactly ${conditions.contentLength} bytes, sent with Content-Length: ${conditions.contentLength}`,
      };
    }
    return { ok: true, conditions };
  }

  private presign(method: 'PUT' | 'GET', ref: ObjectRef, expiresInSeconds: number, conditions: PresignConditions): PresignedRequest {
    this.pathOf(ref);
    const expires = Math.floor(Date.now() / 1000) + expiresInSeconds;
    const query = new URLSearchParams({ 'X-Refinery-Expires': String(expires) });
    if (conditions.contentType) query.set('X-Refinery-Content-Type', conditions.contentType);
    if (conditions.ifNoneMatch) query.set('X-Refinery-If-None-Match', conditions.ifNoneMatch);
    if (conditions.downloadName) query.set('X-Refinery-Download-Name', conditions.downloadName);
    if (conditions.contentLength !== undefined) query.set('X-Refinery-Content-Length', String(conditions.contentLength));
    if (conditions.uploadId !== undefined) query.set('X-Refinery-Upload-Id', conditions.uploadId);
    if (conditions.partNumber !== undefined) query.set('X-Refinery-Part-Number', String(conditions.partNumber));
    query.set('X-Refinery-Signature', this.signature(method, ref, expires, conditions).toString('hex'));
    const path = ref.key.split('/').map(encodeURIComponent).join('/');
    const headers: Record<string, string> = {};
    if (conditions.contentType) headers['content-type'] = conditions.contentType;
    if (conditions.ifNoneMatch) headers['if-none-match'] = conditions.ifNoneMatch;
    if (conditions.contentLength !== undefined) headers['content-length'] = String(conditions.contentLength);
    return {
      url: `${this.options.publicBaseUrl()}/_objects/${ref.bucket}/${path}?${query}`,
      method,
      headers,
      expiresAt: new Date(expires * 1000).toISOString(),
    };
  }

  private signature(method: string, ref: ObjectRef, expires: number, conditions: PresignConditions): Buffer {
    const signed = [
      method,
      ref.bucket,
      ref.key,
      String(expires),
      conditions.contentType ?? '',
      conditions.ifNoneMatch ?? '',
      conditions.downloadName ?? '',
      conditions.contentLength === undefined ? '' : String(conditions.contentLength),
    ];
    // Only part URLs sign these two, so the URLs of whole objects keep the signature they had before parts existed.
    if (conditions.uploadId !== undefined || conditions.partNumber !== undefined) {
      signed.push(conditions.uploadId ?? '', conditions.partNumber === undefined ? '' : String(conditions.partNumber));
    }
    return createHmac('sha256', this.options.signingSecret).update(signed.join('\n')).digest();
  }

  private tmpDir(): string {
    return join(this.options.root, '.tmp');
  }

  /** The file of an object; rejects bucket names and keys that could escape the data dir. */
  private pathOf(ref: ObjectRef): string {
    if (!BUCKET_NAME.test(ref.bucket)) throw new Error(`invalid bucket name "${ref.bucket}"`);
    const segments = ref.key.split('/');
    if (
      ref.key.length === 0 ||
      ref.key.length > 1024 ||
      segments.some((segment) => segment === '' || segment === '.' || segment === '..' || segment.includes('\0') || segment.includes(sep))
    ) {
      throw new Error(`invalid object key "${ref.key}"`);
    }
    return join(this.options.root, ref.bucket, ...segments);
  }
}

/** Every object key under a folder of a bucket (`folder` is its key prefix, without the trailing '/'). */
async function listKeys(path: string, folder: string): Promise<string[]> {
  const entries = await fs.readdir(path, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
    throw error;
  });
  const keys: string[] = [];
  for (const entry of entries) {
    const key = folder === '' ? entry.name : `${folder}/${entry.name}`;
    if (entry.isDirectory()) keys.push(...(await listKeys(join(path, entry.name), key)));
    else if (entry.isFile()) keys.push(key);
  }
  return keys;
}

/**
 * Writes a body to a new file, feeding its bytes to `hash`; returns their count. A body already in memory is one
 * writeFile; a streamed one is written chunk by chunk as it comes, each write awaited before the next chunk is read
 * (the backpressure a stream pipeline gave, without a Readable, a pipeline and an async generator around every chunk
 * of every object: the chunks of a job are written through here, 1 MB each, several times per row of the job).
 */
async function writeBody(path: string, body: ObjectBody, hash: Hash): Promise<number> {
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    hash.update(bytes);
    await fs.writeFile(path, bytes, { mode: PRIVATE_FILE_MODE });
    return bytes.length;
  }
  const file = await fs.open(path, 'w', PRIVATE_FILE_MODE);
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer | Uint8Array | string>) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      hash.update(buffer);
      size += buffer.length;
      // A write may take fewer bytes than it is given: the rest is written until none is left.
      for (let offset = 0; offset < buffer.length; ) offset += (await file.write(buffer, offset, buffer.length - offset)).bytesWritten;
    }
  } finally {
    await file.close();
  }
  return size;
}
