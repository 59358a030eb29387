import type { ObjectInfo, ObjectRef, PresignedRequest } from './object-store';

// Multipart uploads by clients without credentials, shaped after S3's: the server starts an upload for a key, hands
// out a presigned PUT per part, lists what arrived (in pages, so no answer grows with the file) and completes the
// object from the parts it listed itself. Nothing is visible under the key until completion, which creates the object
// at once (one Object Created notification); an upload never completed is aborted (or, on S3, expires by lifecycle).

/** S3's rules: parts are numbered 1 to 10,000, every part but the last at least 5 MiB, at most 5 GiB each. */
export const MULTIPART_MAX_PARTS = 10_000;
export const MULTIPART_MIN_PART_BYTES = 5 * 1024 * 1024;
export const MULTIPART_MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;

export interface UploadedPart {
  readonly partNumber: number;
  /** The part's entity tag as storage reports it (quoted, as S3 sends it). */
  readonly etag: string;
  readonly sizeBytes: number;
}

export interface UploadedPartsPage {
  /** In part-number order. */
  readonly parts: UploadedPart[];
  /** The `after` of the next page; absent on the last page. */
  readonly nextAfter?: number;
}

export interface PresignPartOptions {
  readonly expiresInSeconds: number;
  /** The exact size of the part the URL accepts, in bytes (the `content-length` header is signed). */
  readonly contentLength?: number;
}

export interface CompletedPart {
  readonly partNumber: number;
  readonly etag: string;
}

export interface MultipartUploadOperations {
  /** Starts a multipart upload that will become `ref`; returns its upload id. */
  startMultipartUpload(ref: ObjectRef, options?: { contentType?: string }): Promise<string>;
  /** A URL that lets a client without credentials PUT part `partNumber` (1 to 10,000) of the upload. */
  presignUploadPart(ref: ObjectRef, uploadId: string, partNumber: number, options: PresignPartOptions): Promise<PresignedRequest>;
  /**
   * The parts uploaded so far, `limit` (at most 1,000) at a time from part number `after` (exclusive, default 0).
   * Throws MultipartUploadNotFoundError when the upload is not open (never started for this ref, completed, aborted).
   */
  listUploadedParts(ref: ObjectRef, uploadId: string, options?: { after?: number; limit?: number }): Promise<UploadedPartsPage>;
  /**
   * Creates the object from the parts named, in ascending order; each ETag must be the stored part's (InvalidPartError
   * otherwise). With `ifNoneMatch: '*'` an existing object is not replaced (ObjectExistsError). Throws
   * MultipartUploadNotFoundError when the upload is not open.
   */
  completeMultipartUpload(ref: ObjectRef, uploadId: string, parts: readonly CompletedPart[], options?: { ifNoneMatch?: '*' }): Promise<ObjectInfo>;
  /** Drops the upload and its parts; an upload that is not open (completed, aborted already) is not an error. */
  abortMultipartUpload(ref: ObjectRef, uploadId: string): Promise<void>;
}

export class MultipartUploadNotFoundError extends Error {
  override readonly name = 'MultipartUploadNotFoundError';
  constructor(
    readonly ref: ObjectRef,
    readonly uploadId: string,
  ) {
    super(`no open multipart upload ${uploadId} for ${ref.bucket}/${ref.key}: it was never started for this object, or it was completed or aborted`);
  }
}

/** A part named at completion is missing, has another ETag, or is too small (all but the last must be 5 MiB on S3). */
export class InvalidPartError extends Error {
  override readonly name = 'InvalidPartError';
  constructor(
    readonly ref: ObjectRef,
    message: string,
  ) {
    super(`cannot complete the upload of ${ref.bucket}/${ref.key}: ${message}`);
  }
}
