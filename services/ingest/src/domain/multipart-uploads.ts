// The multipart uploads of jobs whose file is too large for one PUT (POST /jobs with {"upload": "multipart"}): which
// storage upload belongs to which job and tenant, the size declared and the part size chosen, so the part URLs, the
// listing and the completion need nothing from the client but the job id. One partition lists them for the sweep,
// which aborts those never completed once their job's upload has expired (as the awaiting-upload list fails the job).
import { MULTIPART_MAX_PART_BYTES, MULTIPART_MAX_PARTS, type ObjectRef, type ObjectStore, queryAll, type Table } from '@refinery/ports';
import type { Logger } from '@refinery/runtime';
import { inputKey } from '../input-key';

const PARTITION = 'multipart-upload';

export interface MultipartUploadRecord {
  readonly jobId: string;
  readonly tenantId: string;
  /** The storage's upload id (S3's UploadId). */
  readonly uploadId: string;
  /** The size declared when the job was created: the parts add up to exactly this. */
  readonly sizeBytes: number;
  /** Every part is this long but the last, which holds the rest. */
  readonly partSizeBytes: number;
  readonly partCount: number;
  readonly startedAt: string;
}

/**
 * The part size for a file: the smallest that fits it in 10,000 parts, at least `minPartBytes` (S3: 5 MiB for every
 * part but the last), rounded up to a whole MiB when above it, so that sizes read well in logs.
 */
export function planParts(sizeBytes: number, minPartBytes: number): { partSizeBytes: number; partCount: number } {
  const MiB = 1024 * 1024;
  const fitting = Math.ceil(sizeBytes / MULTIPART_MAX_PARTS);
  const partSizeBytes = fitting <= minPartBytes ? minPartBytes : Math.ceil(fitting / MiB) * MiB;
  if (partSizeBytes > MULTIPART_MAX_PART_BYTES) throw new RangeError(`a file of ${sizeBytes} bytes does not fit in ${MULTIPART_MAX_PARTS} parts`);
  return { partSizeBytes, partCount: Math.max(1, Math.ceil(sizeBytes / partSizeBytes)) };
}

/** The exact length of part `partNumber` (1-based) of the upload. */
export function partLength(upload: Pick<MultipartUploadRecord, 'sizeBytes' | 'partSizeBytes' | 'partCount'>, partNumber: number): number {
  return partNumber < upload.partCount ? upload.partSizeBytes : upload.sizeBytes - upload.partSizeBytes * (upload.partCount - 1);
}

export class MultipartUploads {
  constructor(private readonly table: Table) {}

  async put(record: MultipartUploadRecord): Promise<void> {
    await this.table.put({ pk: PARTITION, sk: record.jobId, ...record });
  }

  async get(jobId: string): Promise<MultipartUploadRecord | undefined> {
    const item = await this.table.get({ pk: PARTITION, sk: jobId });
    return item && toRecord(item);
  }

  /** Completed or aborted; nothing when it was not listed. */
  async remove(jobId: string): Promise<void> {
    await this.table.delete({ pk: PARTITION, sk: jobId });
  }

  async *list(): AsyncIterable<MultipartUploadRecord> {
    for await (const item of queryAll(this.table, PARTITION)) yield toRecord(item);
  }
}

function toRecord(item: Record<string, unknown>): MultipartUploadRecord {
  return {
    jobId: item.jobId as string,
    tenantId: item.tenantId as string,
    uploadId: item.uploadId as string,
    sizeBytes: item.sizeBytes as number,
    partSizeBytes: item.partSizeBytes as number,
    partCount: item.partCount as number,
    startedAt: item.startedAt as string,
  };
}

export function multipartInputRef(bucket: string, upload: Pick<MultipartUploadRecord, 'tenantId' | 'jobId'>): ObjectRef {
  return { bucket, key: inputKey(upload.tenantId, upload.jobId) };
}

/**
 * Aborts the multipart uploads started `expiryMs` ago or more and never completed: their parts are dropped (on AWS the
 * bucket's lifecycle rule would only do it days later) and their jobs, failed by the same sweep, take no late file.
 */
export async function abortExpiredMultipartUploads(
  deps: { table: Table; objects: ObjectStore; uploadsBucket: string; now: Date; logger: Logger },
  expiryMs: number,
): Promise<{ aborted: number }> {
  const uploads = new MultipartUploads(deps.table);
  let aborted = 0;
  for await (const upload of uploads.list()) {
    if (deps.now.getTime() - Date.parse(upload.startedAt) < expiryMs) continue;
    await deps.objects.abortMultipartUpload(multipartInputRef(deps.uploadsBucket, upload), upload.uploadId);
    await uploads.remove(upload.jobId);
    deps.logger.warn({ jobId: upload.jobId, tenantId: upload.tenantId }, 'multipart upload aborted: never completed');
    aborted += 1;
  }
  return { aborted };
}
