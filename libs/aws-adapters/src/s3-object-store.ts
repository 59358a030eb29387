import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  type UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
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
import { composeS3Objects } from './s3-compose';
import { isInvalidRange, isMissingObject, isPreconditionFailed } from './s3-errors';
import { S3MultipartUploads } from './s3-multipart-upload';
import { countingStream, readAll, toNodeReadable } from './s3-streams';

export interface S3ObjectStoreOptions {
  readonly client: S3Client;
  /** Part size of streamed (multipart) writes. S3 and lib-storage require at least 5 MiB; default 8 MiB. */
  readonly partSizeBytes?: number;
}

/** S3's smallest part (except the last one); lib-storage refuses smaller. */
export const MIN_PART_SIZE_BYTES = 5 * 1024 * 1024;
const DEFAULT_PART_SIZE_BYTES = 8 * 1024 * 1024;
/** Parts uploaded at once. lib-storage holds at most (this + 1) parts in memory, so a Lambda's memory stays bounded. */
export const PARTS_IN_FLIGHT = 2;
/** Request headers the SDK adds for body checksums (flexible checksums). */
const BODY_CHECKSUM_HEADER = /^x-amz-(sdk-)?checksum-/i;

/**
 * The object store on S3 (SDK v3). Buckets in refs are physical bucket names. Whole bodies go up with PutObject, streams
 * with a multipart upload that S3 only turns into an object on CompleteMultipartUpload, so readers never see half an
 * object and a failed stream (whose upload is aborted) leaves nothing behind.
 */
export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;
  private readonly partSizeBytes: number;
  private readonly multipart: S3MultipartUploads;

  constructor(options: S3ObjectStoreOptions) {
    this.client = options.client;
    this.multipart = new S3MultipartUploads(this.client, (command, expires, headers, signable) =>
      this.presign('PUT', withoutBodyChecksum(command), expires, headers, signable),
    );
    this.partSizeBytes = options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES;
    if (!Number.isInteger(this.partSizeBytes) || this.partSizeBytes < MIN_PART_SIZE_BYTES) {
      throw new RangeError(`partSizeBytes must be an integer of at least ${MIN_PART_SIZE_BYTES} (S3's minimum part size)`);
    }
  }

  async put(ref: ObjectRef, body: ObjectBody, options: PutOptions = {}): Promise<ObjectInfo> {
    try {
      if (typeof body === 'string' || Buffer.isBuffer(body)) return await this.putWhole(ref, Buffer.from(body), options);
      return await this.putStream(ref, body, options);
    } catch (error) {
      if (options.ifNoneMatch === '*' && isPreconditionFailed(error)) throw new ObjectExistsError(ref);
      throw error;
    }
  }

  async get(ref: ObjectRef, range?: ByteRange): Promise<Readable> {
    if (range) {
      checkRange(ref, range);
      if (range.end === range.start) return Readable.from([]);
    }
    try {
      const output = await this.client.send(
        new GetObjectCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          // Our end is exclusive, HTTP's is inclusive; no end reads to the end of the object.
          ...(range ? { Range: `bytes=${range.start}-${range.end === undefined ? '' : range.end - 1}` } : {}),
        }),
      );
      return toNodeReadable(output.Body);
    } catch (error) {
      if (isMissingObject(error)) throw new ObjectNotFoundError(ref);
      if (range && isInvalidRange(error)) return this.rangeOfEmptyObject(ref, range);
      throw error;
    }
  }

  async getBuffer(ref: ObjectRef, range?: ByteRange): Promise<Buffer> {
    return readAll(await this.get(ref, range));
  }

  async head(ref: ObjectRef): Promise<ObjectInfo | undefined> {
    try {
      const output = await this.client.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
      return {
        sizeBytes: output.ContentLength ?? 0,
        etag: output.ETag ?? '',
        lastModified: output.LastModified ?? new Date(0),
        ...(output.ContentType ? { contentType: output.ContentType } : {}),
      };
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw error;
    }
  }

  async delete(ref: ObjectRef): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
  }

  compose(target: ObjectRef, sources: readonly ObjectRef[], options?: ComposeOptions): Promise<ObjectInfo> {
    return composeS3Objects(this.client, target, sources, options);
  }

  async deletePrefix(bucket: string, prefix: string): Promise<number> {
    let deleted = 0;
    for (;;) {
      // Always the first page: the keys listed before are deleted, so the next list starts where they were.
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1000 }));
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
      if (keys.length === 0) return deleted;
      const result = await this.client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
      const failed = result.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0];
        throw new Error(
          `deleting ${failed.length} of ${keys.length} objects under s3://${bucket}/${prefix} failed: ${first?.Key}: ${first?.Code} ${first?.Message ?? ''}`.trim(),
        );
      }
      deleted += keys.length;
    }
  }

  async presignPut(ref: ObjectRef, options: PresignPutOptions): Promise<PresignedRequest> {
    const command = new PutObjectCommand({
      Bucket: ref.bucket,
      Key: ref.key,
      ...(options.contentType ? { ContentType: options.contentType } : {}),
      ...(options.ifNoneMatch ? { IfNoneMatch: options.ifNoneMatch } : {}),
      ...(options.contentLength !== undefined ? { ContentLength: options.contentLength } : {}),
    });
    const headers: Record<string, string> = {};
    if (options.contentType) headers['content-type'] = options.contentType;
    if (options.ifNoneMatch) headers['if-none-match'] = options.ifNoneMatch;
    // The presigner leaves content-length unsigned unless asked (signableHeaders): signed, S3 refuses a body of any
    // other length with 403 SignatureDoesNotMatch, so the URL cannot store more than the size declared.
    if (options.contentLength !== undefined) headers['content-length'] = String(options.contentLength);
    withoutBodyChecksum(command);
    // Signing these headers binds them: S3 refuses the URL with another content type or without If-None-Match.
    return this.presign('PUT', command, options.expiresInSeconds, headers, new Set(Object.keys(headers)));
  }

  async presignGet(ref: ObjectRef, options: { expiresInSeconds: number; downloadName?: string }): Promise<PresignedRequest> {
    const command = new GetObjectCommand({
      Bucket: ref.bucket,
      Key: ref.key,
      ...(options.downloadName ? { ResponseContentDisposition: `attachment; filename="${options.downloadName.replace(/"/g, '')}"` } : {}),
    });
    return this.presign('GET', command, options.expiresInSeconds, {}, new Set());
  }

  async startMultipartUpload(ref: ObjectRef, options?: { contentType?: string }): Promise<string> {
    return this.multipart.start(ref, options);
  }

  async presignUploadPart(ref: ObjectRef, uploadId: string, partNumber: number, options: PresignPartOptions): Promise<PresignedRequest> {
    return this.multipart.presignPart(ref, uploadId, partNumber, options);
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
    return this.multipart.complete(ref, uploadId, parts, options);
  }

  async abortMultipartUpload(ref: ObjectRef, uploadId: string): Promise<void> {
    return this.multipart.abort(ref, uploadId);
  }

  private async presign(
    method: 'PUT' | 'GET',
    command: PutObjectCommand | GetObjectCommand | UploadPartCommand,
    expiresInSeconds: number,
    headers: Record<string, string>,
    signableHeaders: Set<string>,
  ): Promise<PresignedRequest> {
    // One signing time for the URL and for expiresAt, so the two agree to the second.
    const signingDate = new Date(Math.floor(Date.now() / 1000) * 1000);
    // getSignedUrl is generic over one command type; the three are signed alike.
    const url = await getSignedUrl(this.client, command as PutObjectCommand, { expiresIn: expiresInSeconds, signingDate, signableHeaders });
    return { url, method, headers, expiresAt: new Date(signingDate.getTime() + expiresInSeconds * 1000).toISOString() };
  }

  private async putWhole(ref: ObjectRef, body: Buffer, options: PutOptions): Promise<ObjectInfo> {
    const output = await this.client.send(
      new PutObjectCommand({
        Bucket: ref.bucket,
        Key: ref.key,
        Body: body,
        ...(options.contentType ? { ContentType: options.contentType } : {}),
        ...(options.ifNoneMatch ? { IfNoneMatch: options.ifNoneMatch } : {}),
      }),
    );
    return writtenInfo(body.length, output.ETag, options);
  }

  /**
   * lib-storage reads the stream part by part (PARTS_IN_FLIGHT parts at once). A body smaller than one part goes up with
   * one PutObject; a larger one as a multipart upload, aborted on any failure (leavePartsOnError: false). lib-storage
   * hands IfNoneMatch to every request, but the SDK serializes it only for PutObject and CompleteMultipartUpload, the
   * two requests that create the object: so a create-only stream is refused (412) when it would complete.
   */
  private async putStream(ref: ObjectRef, body: Exclude<ObjectBody, Buffer | string>, options: PutOptions): Promise<ObjectInfo> {
    let sizeBytes = 0;
    const source = countingStream(body, (bytes) => {
      sizeBytes += bytes;
    });
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: ref.bucket,
        Key: ref.key,
        Body: source,
        ...(options.contentType ? { ContentType: options.contentType } : {}),
        ...(options.ifNoneMatch ? { IfNoneMatch: options.ifNoneMatch } : {}),
      },
      partSize: this.partSizeBytes,
      queueSize: PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    });
    try {
      const output = await upload.done();
      return writtenInfo(sizeBytes, output.ETag, options);
    } finally {
      // Stops pulling the caller's stream when the upload failed part-way (a no-op once it is fully read).
      source.destroy();
    }
  }

  /**
   * S3 answers 416 to any range of an empty object; the port reads an empty object from offset 0 as empty (like a file).
   * Anything else past the end is the caller's mistake.
   */
  private async rangeOfEmptyObject(ref: ObjectRef, range: ByteRange): Promise<Readable> {
    const info = await this.head(ref);
    if (!info) throw new ObjectNotFoundError(ref);
    if (info.sizeBytes === 0 && range.start === 0) return Readable.from([]);
    throw new RangeError(`invalid range ${range.start}-${range.end ?? ''} for ${ref.bucket}/${ref.key} of ${info.sizeBytes} bytes`);
  }
}

/**
 * With the SDK's default checksums, the URL would carry the CRC32 of the empty body there is at signing time, which S3
 * may hold against the real upload. Presigned uploads do not support those checksums anyway: leave them out.
 */
function withoutBodyChecksum<C extends PutObjectCommand | UploadPartCommand>(command: C): C {
  // The middleware reads only the request's headers: the same for both commands' stacks.
  (command.middlewareStack as PutObjectCommand['middlewareStack']).add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      for (const name of Object.keys(request.headers ?? {})) {
        if (BODY_CHECKSUM_HEADER.test(name)) delete request.headers?.[name];
      }
      return next(args);
    },
    { step: 'build', priority: 'low', name: 'refineryPresignWithoutBodyChecksum' },
  );
  return command;
}

function checkRange(ref: ObjectRef, range: ByteRange): void {
  const valid =
    Number.isInteger(range.start) && range.start >= 0 && (range.end === undefined || (Number.isInteger(range.end) && range.end >= range.start));
  if (!valid) throw new RangeError(`invalid range ${range.start}-${range.end ?? ''} for ${ref.bucket}/${ref.key}`);
}

/**
 * What the write response tells: S3 returns the ETag but not LastModified, so that is the time the write was
 * acknowledged (a HEAD would cost a request and could already see a later writer's object).
 */
function writtenInfo(sizeBytes: number, etag: string | undefined, options: PutOptions): ObjectInfo {
  return {
    sizeBytes,
    etag: etag ?? '',
    lastModified: new Date(),
    ...(options.contentType ? { contentType: options.contentType } : {}),
  };
}
