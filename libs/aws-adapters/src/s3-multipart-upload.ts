import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListPartsCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  type CompletedPart,
  InvalidPartError,
  MULTIPART_MAX_PARTS,
  MultipartUploadNotFoundError,
  ObjectExistsError,
  type ObjectInfo,
  type ObjectRef,
  type PresignedRequest,
  type PresignPartOptions,
  type UploadedPartsPage,
} from '@refinery/ports';
import { isPreconditionFailed } from './s3-errors';

/** S3 answers ListParts with at most 1,000 parts. */
const MAX_PARTS_PER_PAGE = 1000;

/** Signs a command into a presigned request (S3ObjectStore's presigner: one signing time, no body checksum). */
export type PresignCommand = (
  command: UploadPartCommand,
  expiresInSeconds: number,
  headers: Record<string, string>,
  signableHeaders: Set<string>,
) => Promise<PresignedRequest>;

/**
 * Client multipart uploads on S3: CreateMultipartUpload, presigned UploadPart, ListParts, CompleteMultipartUpload,
 * AbortMultipartUpload. The S3ObjectStore delegates to this.
 */
export class S3MultipartUploads {
  constructor(
    private readonly client: S3Client,
    private readonly presign: PresignCommand,
  ) {}

  async start(ref: ObjectRef, options: { contentType?: string } = {}): Promise<string> {
    const output = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: ref.bucket, Key: ref.key, ...(options.contentType ? { ContentType: options.contentType } : {}) }),
    );
    if (!output.UploadId) throw new Error(`S3 started a multipart upload of s3://${ref.bucket}/${ref.key} without an UploadId`);
    return output.UploadId;
  }

  async presignPart(ref: ObjectRef, uploadId: string, partNumber: number, options: PresignPartOptions): Promise<PresignedRequest> {
    checkPartNumber(partNumber);
    const command = new UploadPartCommand({
      Bucket: ref.bucket,
      Key: ref.key,
      UploadId: uploadId,
      PartNumber: partNumber,
      ...(options.contentLength !== undefined ? { ContentLength: options.contentLength } : {}),
    });
    // content-length signed: S3 refuses a part of any other length (403), so no part exceeds what was declared.
    const headers: Record<string, string> = options.contentLength !== undefined ? { 'content-length': String(options.contentLength) } : {};
    return this.presign(command, options.expiresInSeconds, headers, new Set(Object.keys(headers)));
  }

  async listParts(ref: ObjectRef, uploadId: string, options: { after?: number; limit?: number } = {}): Promise<UploadedPartsPage> {
    const limit = Math.min(Math.max(1, options.limit ?? MAX_PARTS_PER_PAGE), MAX_PARTS_PER_PAGE);
    try {
      const output = await this.client.send(
        new ListPartsCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          UploadId: uploadId,
          MaxParts: limit,
          ...(options.after ? { PartNumberMarker: String(options.after) } : {}),
        }),
      );
      const parts = (output.Parts ?? []).map((part) => ({ partNumber: part.PartNumber ?? 0, etag: part.ETag ?? '', sizeBytes: part.Size ?? 0 }));
      const next = Number(output.NextPartNumberMarker);
      return { parts, ...(output.IsTruncated && Number.isInteger(next) && next > 0 ? { nextAfter: next } : {}) };
    } catch (error) {
      throw isNoSuchUpload(error) ? new MultipartUploadNotFoundError(ref, uploadId) : error;
    }
  }

  async complete(ref: ObjectRef, uploadId: string, parts: readonly CompletedPart[], options: { ifNoneMatch?: '*' } = {}): Promise<ObjectInfo> {
    try {
      const output = await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })) },
          ...(options.ifNoneMatch ? { IfNoneMatch: options.ifNoneMatch } : {}),
        }),
      );
      // The size is not in the answer: a HEAD tells it (and the content type the upload was started with).
      return { sizeBytes: await this.sizeOf(ref), etag: output.ETag ?? '', lastModified: new Date() };
    } catch (error) {
      if (isNoSuchUpload(error)) throw new MultipartUploadNotFoundError(ref, uploadId);
      if (options.ifNoneMatch === '*' && isPreconditionFailed(error)) throw new ObjectExistsError(ref);
      const name = error instanceof Error ? error.name : '';
      if (name === 'InvalidPart' || name === 'InvalidPartOrder' || name === 'EntityTooSmall') {
        throw new InvalidPartError(ref, `${name}: ${(error as Error).message}`);
      }
      throw error;
    }
  }

  async abort(ref: ObjectRef, uploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: ref.bucket, Key: ref.key, UploadId: uploadId }));
    } catch (error) {
      if (!isNoSuchUpload(error)) throw error;
    }
  }

  private async sizeOf(ref: ObjectRef): Promise<number> {
    const head = await this.client.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    return head.ContentLength ?? 0;
  }
}

function checkPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MULTIPART_MAX_PARTS) {
    throw new RangeError(`part numbers are 1 to ${MULTIPART_MAX_PARTS}, got ${partNumber}`);
  }
}

function isNoSuchUpload(error: unknown): boolean {
  return error instanceof Error && (error.name === 'NoSuchUpload' || (error as { Code?: string }).Code === 'NoSuchUpload');
}
