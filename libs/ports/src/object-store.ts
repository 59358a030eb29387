import type { Readable } from 'node:stream';
import type { MultipartUploadOperations } from './multipart-upload';
import type { ObjectComposeOperations } from './object-compose';

// Shaped after S3 so the AWS adapter stays thin: whole-object and streamed (multipart) writes, byte-range reads,
// conditional create, presigned URLs. Keys are S3 keys ('/'-separated), buckets are logical names resolved by the adapter.

export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
}

/** A byte range, `end` EXCLUSIVE (S3's Range header is inclusive: the adapter converts). */
export interface ByteRange {
  readonly start: number;
  readonly end?: number;
}

export interface ObjectInfo {
  readonly sizeBytes: number;
  readonly etag: string;
  readonly contentType?: string;
  readonly lastModified: Date;
}

export interface PutOptions {
  readonly contentType?: string;
  /** Create only: fail with ObjectExistsError when the key is taken (S3 `If-None-Match: *`). */
  readonly ifNoneMatch?: '*';
}

export type ObjectBody = Buffer | string | Readable | AsyncIterable<Uint8Array | string>;

export interface PresignedRequest {
  readonly url: string;
  readonly method: 'PUT' | 'GET';
  /** Headers the client must send with the request. */
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: string;
}

export interface PresignPutOptions {
  readonly expiresInSeconds: number;
  readonly contentType?: string;
  readonly ifNoneMatch?: '*';
  /** The exact size of the body the URL accepts, in bytes. */
  readonly contentLength?: number;
}

/** Multipart uploads by clients (multipart-upload.ts) and composing objects (object-compose.ts) are part of every object store. */
export interface ObjectStore extends MultipartUploadOperations, ObjectComposeOperations {
  /**
   * Writes an object. Streams are written in parts (multipart upload on S3) and the object appears only once the
   * whole body is in: a reader never sees a half-written object, and a failed write leaves nothing behind.
   */
  put(ref: ObjectRef, body: ObjectBody, options?: PutOptions): Promise<ObjectInfo>;
  /** Streams an object or a byte range of it. Throws ObjectNotFoundError. */
  get(ref: ObjectRef, range?: ByteRange): Promise<Readable>;
  /** Reads a whole (small) object into memory. Throws ObjectNotFoundError. */
  getBuffer(ref: ObjectRef, range?: ByteRange): Promise<Buffer>;
  head(ref: ObjectRef): Promise<ObjectInfo | undefined>;
  delete(ref: ObjectRef): Promise<void>;
  /**
   * Deletes every object of the bucket whose key starts with `prefix` (a job's `tenants/<tenant>/jobs/<job>/`) and
   * returns how many it deleted. Works in pages (S3: ListObjectsV2 and DeleteObjects, 1,000 keys at a time), so a
   * job of any size is erased without holding its keys in memory; a retry after a failure deletes what is left.
   */
  deletePrefix(bucket: string, prefix: string): Promise<number>;
  /**
   * A URL that lets a client without credentials PUT this object until it expires. With `ifNoneMatch: '*'` the URL
   * only creates: once the object exists, another PUT is refused (412), so an input never changes under a job. With
   * `contentLength` the URL takes a body of exactly that many bytes (the `content-length` header is signed), so a client
   * cannot store more than it declared: storage refuses any other length (403) or a body without a length.
   */
  presignPut(ref: ObjectRef, options: PresignPutOptions): Promise<PresignedRequest>;
  /** A URL that lets a client without credentials GET this object until it expires. */
  presignGet(ref: ObjectRef, options: { expiresInSeconds: number; downloadName?: string }): Promise<PresignedRequest>;
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
  constructor(readonly ref: ObjectRef) {
    super(`object not found: ${ref.bucket}/${ref.key}`);
  }
}

export class ObjectExistsError extends Error {
  override readonly name = 'ObjectExistsError';
  constructor(readonly ref: ObjectRef) {
    super(`object already exists: ${ref.bucket}/${ref.key}`);
  }
}
