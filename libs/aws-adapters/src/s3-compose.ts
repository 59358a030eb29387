import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import {
  type ComposeOptions,
  MAX_COMPOSE_PART_BYTES,
  MAX_COMPOSE_PARTS,
  MIN_COMPOSE_PART_BYTES,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectRef,
} from '@refinery/ports';
import { isMissingObject } from './s3-errors';
import { readAll, toNodeReadable } from './s3-streams';

/** Sources headed at once. */
const HEADS_IN_FLIGHT = 16;
/**
 * Parts written at once. A copied part costs the Lambda nothing but a request; a sent part holds at most
 * MIN_COMPOSE_PART_BYTES in memory, so this bounds memory to about 40 MiB.
 */
export const COMPOSE_PARTS_IN_FLIGHT = 8;

/** Bytes [start, end) of source `source` (its index in the list). */
export interface SourcePiece {
  readonly source: number;
  readonly start: number;
  readonly end: number;
}

/** A part of the composed object: one piece copied by S3, or pieces read and sent in one UploadPart. */
export type ComposePart = { readonly kind: 'copy'; readonly piece: SourcePiece } | { readonly kind: 'send'; readonly pieces: readonly SourcePiece[] };

export interface PartLimits {
  readonly minPartBytes: number;
  readonly maxPartBytes: number;
  readonly maxParts: number;
}

const S3_LIMITS: PartLimits = { minPartBytes: MIN_COMPOSE_PART_BYTES, maxPartBytes: MAX_COMPOSE_PART_BYTES, maxParts: MAX_COMPOSE_PARTS };

/**
 * The parts that concatenate sources of these sizes, every part but the last at least `minPartBytes` (S3 refuses a
 * smaller one). A source's bytes are copied by S3 whenever at least `minPartBytes` of it are left once the part being
 * gathered is full; only runs of small sources, and the bytes of a large one needed to fill up such a run, are read
 * and sent — at most `minPartBytes` per part. Copies are split at `maxPartBytes`.
 */
export function planComposeParts(sizes: readonly number[], limits: PartLimits = S3_LIMITS): ComposePart[] {
  const parts: ComposePart[] = [];
  let gathering: SourcePiece[] = [];
  let gathered = 0;
  const send = () => {
    parts.push({ kind: 'send', pieces: gathering });
    gathering = [];
    gathered = 0;
  };
  sizes.forEach((size, source) => {
    let offset = 0;
    while (offset < size) {
      const left = size - offset;
      if (gathered === 0 && left >= limits.minPartBytes) {
        const end = offset + Math.min(left, limits.maxPartBytes);
        parts.push({ kind: 'copy', piece: { source, start: offset, end } });
        offset = end;
        continue;
      }
      const take = Math.min(left, limits.minPartBytes - gathered);
      gathering.push({ source, start: offset, end: offset + take });
      gathered += take;
      offset += take;
      if (gathered >= limits.minPartBytes) send();
    }
  });
  if (gathered > 0) send();
  if (parts.length > limits.maxParts) {
    throw new Error(`composing ${sizes.length} objects needs ${parts.length} parts, more than the ${limits.maxParts} one object can have`);
  }
  return parts;
}

/**
 * ObjectStore.compose on S3: HEAD every source (its size, and the ETag every later read of it must match, so a source
 * replaced meanwhile fails the compose instead of mixing two versions), then one multipart upload of the planned parts,
 * COMPOSE_PARTS_IN_FLIGHT at a time, completed in order or aborted on any failure. Less than one part in all goes up
 * with one PutObject (a multipart upload needs at least one part; an empty object has none).
 */
export async function composeS3Objects(
  client: S3Client,
  target: ObjectRef,
  sources: readonly ObjectRef[],
  options: ComposeOptions = {},
): Promise<ObjectInfo> {
  const heads = await mapLimited(sources, HEADS_IN_FLIGHT, (source) => headSource(client, source));
  const total = heads.reduce((sum, head) => sum + head.size, 0);
  const contentType = options.contentType ? { ContentType: options.contentType } : {};
  const readPiece = async (piece: SourcePiece): Promise<Buffer> => {
    const source = sources[piece.source] as ObjectRef;
    try {
      const output = await client.send(
        new GetObjectCommand({
          Bucket: source.bucket,
          Key: source.key,
          Range: `bytes=${piece.start}-${piece.end - 1}`,
          IfMatch: heads[piece.source]?.etag,
        }),
      );
      return await readAll(toNodeReadable(output.Body));
    } catch (error) {
      if (isMissingObject(error)) throw new ObjectNotFoundError(source);
      throw error;
    }
  };
  const parts = planComposeParts(heads.map((head) => head.size));
  if (total < MIN_COMPOSE_PART_BYTES) {
    const body = Buffer.concat(await Promise.all((parts[0]?.kind === 'send' ? parts[0].pieces : []).map(readPiece)));
    const output = await client.send(new PutObjectCommand({ Bucket: target.bucket, Key: target.key, Body: body, ...contentType }));
    return composedInfo(total, output.ETag, options);
  }
  const created = await client.send(new CreateMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, ...contentType }));
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error(`S3 started no multipart upload for s3://${target.bucket}/${target.key}`);
  const upload = { Bucket: target.bucket, Key: target.key, UploadId: uploadId };
  try {
    const etags = await mapLimited(parts, COMPOSE_PARTS_IN_FLIGHT, async (part, index) => {
      const PartNumber = index + 1;
      if (part.kind === 'send') {
        const body = Buffer.concat(await Promise.all(part.pieces.map(readPiece)));
        return (await client.send(new UploadPartCommand({ ...upload, PartNumber, Body: body }))).ETag;
      }
      const { piece } = part;
      const source = sources[piece.source] as ObjectRef;
      const copied = await client.send(
        new UploadPartCopyCommand({
          ...upload,
          PartNumber,
          CopySource: `${source.bucket}/${encodeURIComponent(source.key)}`,
          CopySourceRange: `bytes=${piece.start}-${piece.end - 1}`,
          CopySourceIfMatch: heads[piece.source]?.etag,
        }),
      );
      // An endpoint that ignores x-amz-copy-source (some emulators) answers without a CopyPartResult: never complete that.
      const etag = copied.CopyPartResult?.ETag;
      if (!etag)
        throw new Error(
          `S3 copied part ${PartNumber} of s3://${target.bucket}/${target.key} without an ETag: does the endpoint support UploadPartCopy?`,
        );
      return etag;
    });
    const completed = await client.send(
      new CompleteMultipartUploadCommand({
        ...upload,
        MultipartUpload: { Parts: etags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })) },
      }),
    );
    return composedInfo(total, completed.ETag, options);
  } catch (error) {
    await client.send(new AbortMultipartUploadCommand(upload)).catch(() => undefined);
    throw error;
  }
}

async function headSource(client: S3Client, source: ObjectRef): Promise<{ size: number; etag: string | undefined }> {
  try {
    const output = await client.send(new HeadObjectCommand({ Bucket: source.bucket, Key: source.key }));
    return { size: output.ContentLength ?? 0, etag: output.ETag };
  } catch (error) {
    if (isMissingObject(error)) throw new ObjectNotFoundError(source);
    throw error;
  }
}

function composedInfo(sizeBytes: number, etag: string | undefined, options: ComposeOptions): ObjectInfo {
  return { sizeBytes, etag: etag ?? '', lastModified: new Date(), ...(options.contentType ? { contentType: options.contentType } : {}) };
}

/**
 * `work` over every item, at most `limit` at once, results in the items' order. The first failure stops new work and
 * is thrown once the work already started has settled (so an abort is not overtaken by a part still being written).
 */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const index = next;
      next += 1;
      try {
        results[index] = await work(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}
