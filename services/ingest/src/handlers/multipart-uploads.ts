// Multipart uploads of a job's file (POST /jobs with {"upload": "multipart", "sizeBytes"}): the part URLs a page at a
// time, the parts already uploaded (to resume), and the completion. The server decides everything that matters — the
// part size, each part's exact length (signed into its URL), and at completion the parts as storage lists them —
// so a client can neither store more than it declared nor complete a file with holes.
import { InvalidPartError, MultipartUploadNotFoundError, ObjectExistsError, type UploadedPart } from '@refinery/ports';
import { type ApiRequest, type ApiResponse, HttpError, json } from '@refinery/runtime';
import { z } from 'zod';
import type { IngestDeps } from '../config';
import type { Jobs } from '../domain/jobs';
import { type MultipartUploadRecord, MultipartUploads, multipartInputRef, partLength, planParts } from '../domain/multipart-uploads';
import { limitOf } from './job-reads';

/** Part URLs per page: a client asks for the next page as it goes, never for 10,000 URLs at once. */
export const DEFAULT_PART_URLS_LIMIT = 100;
export const MAX_PART_URLS_LIMIT = 100;
/** Uploaded parts per page of the listing (S3's ListParts page). */
export const MAX_PARTS_LIMIT = 1_000;
/** One PUT's largest body on S3 (5 GiB): a larger file must go up in parts. */
export const MAX_SINGLE_UPLOAD_BYTES = 5 * 1024 ** 3;
/** Missing part numbers named in a refused completion (the rest are counted). */
const MISSING_NAMED = 20;

/** What POST /jobs answers as `upload` for a multipart upload. */
export interface MultipartUploadView {
  readonly kind: 'multipart';
  readonly uploadId: string;
  readonly sizeBytes: number;
  readonly partSizeBytes: number;
  readonly partCount: number;
  /** After this the job fails (its upload never arrived) and the upload is aborted. */
  readonly expiresAt: string;
}

/**
 * The job's multipart upload: started now, or the one started by an earlier attempt with the same Idempotency-Key
 * (a client that died resumes it).
 */
export async function multipartUploadOf(
  deps: IngestDeps,
  jobs: Jobs,
  tenantId: string,
  jobId: string,
  sizeBytes: number,
): Promise<MultipartUploadView> {
  const uploads = new MultipartUploads(deps.jobs);
  const existing = await uploads.get(jobId);
  if (existing) return viewOf(deps, existing);
  const { partSizeBytes, partCount } = planParts(sizeBytes, deps.config.minUploadPartBytes);
  const uploadId = await deps.objects.startMultipartUpload(jobs.inputRef(tenantId, jobId), { contentType: 'text/csv' });
  const record: MultipartUploadRecord = { jobId, tenantId, uploadId, sizeBytes, partSizeBytes, partCount, startedAt: deps.clock.now().toISOString() };
  await uploads.put(record);
  return viewOf(deps, record);
}

function viewOf(deps: IngestDeps, upload: MultipartUploadRecord): MultipartUploadView {
  const expiresAt = new Date(Date.parse(upload.startedAt) + deps.config.uploadExpiryMinutes * 60_000).toISOString();
  const { uploadId, sizeBytes, partSizeBytes, partCount } = upload;
  return { kind: 'multipart', uploadId, sizeBytes, partSizeBytes, partCount, expiresAt };
}

export function createMultipartUploadRoutes(deps: IngestDeps, jobs: Jobs): Record<string, (request: ApiRequest) => Promise<ApiResponse>> {
  const uploads = new MultipartUploads(deps.jobs);

  /** The job's open multipart upload, or the 404/409 that says why there is none. */
  async function openUpload(request: ApiRequest): Promise<MultipartUploadRecord> {
    const jobId = request.pathParameters.id ?? '';
    const found = await jobs.stateFor(request.tenantId, jobId);
    // Another tenant's job answers exactly like a missing one.
    if (!found) throw new HttpError(404, 'not_found', `no job ${jobId}`);
    // Completed: the job is submitted, or its input is in place and the notification has not submitted it yet.
    if (found.state.submitted || (await deps.objects.head(jobs.inputRef(request.tenantId, jobId)))) {
      throw new HttpError(409, 'upload_completed', `the upload of job ${jobId} is complete already: the job is ${found.state.status}`);
    }
    if (found.state.status === 'failed') {
      throw new HttpError(
        409,
        'upload_closed',
        `job ${jobId} has failed (${found.state.error?.reason ?? 'see its events'}); create a new job to upload again`,
      );
    }
    const upload = await uploads.get(jobId);
    if (upload && upload.tenantId === request.tenantId) return upload;
    throw new HttpError(
      409,
      'not_multipart',
      `job ${jobId} has no open multipart upload: it was created for one PUT to its upload URL (POST /jobs with {"upload": "multipart"} asks for parts), or its upload expired`,
    );
  }

  return {
    /** `GET /jobs/{id}/upload/part-urls?from=&limit=`: presigned PUTs of parts from..from+limit-1, each signed for its length. */
    'GET /jobs/{id}/upload/part-urls': async (request) => {
      const upload = await openUpload(request);
      const from = partNumberOf(request, 'from', 1, upload.partCount);
      const limit = limitOf(request, DEFAULT_PART_URLS_LIMIT, MAX_PART_URLS_LIMIT);
      const last = Math.min(upload.partCount, from + limit - 1);
      const ref = multipartInputRef(deps.config.uploadsBucket, upload);
      const parts = [];
      for (let partNumber = from; partNumber <= last; partNumber += 1) {
        const presigned = await deps.objects.presignUploadPart(ref, upload.uploadId, partNumber, {
          expiresInSeconds: deps.config.uploadUrlTtlSeconds,
          contentLength: partLength(upload, partNumber),
        });
        parts.push({ partNumber, url: presigned.url, method: presigned.method, headers: presigned.headers, expiresAt: presigned.expiresAt });
      }
      return json(200, { parts, nextFrom: last < upload.partCount ? last + 1 : null });
    },

    /** `GET /jobs/{id}/upload/parts?after=&limit=`: the parts storage holds, in part-number order (to resume an upload). */
    'GET /jobs/{id}/upload/parts': async (request) => {
      const upload = await openUpload(request);
      const after = partNumberOf(request, 'after', 0, upload.partCount);
      const limit = limitOf(request, MAX_PARTS_LIMIT, MAX_PARTS_LIMIT);
      const page = await listParts(upload, { after, limit });
      return json(200, {
        partCount: upload.partCount,
        partSizeBytes: upload.partSizeBytes,
        parts: page.parts.map(({ partNumber, sizeBytes, etag }) => ({ partNumber, sizeBytes, etag })),
        nextAfter: page.nextAfter ?? null,
      });
    },

    /**
     * `POST /jobs/{id}/upload/complete`: completes the file from the parts storage lists, each checked for its length —
     * all of them, no more, adding up to the size declared (so never above maxUploadBytes). The Object Created
     * notification then submits the job, as for a single upload.
     */
    'POST /jobs/{id}/upload/complete': async (request) => {
      const upload = await openUpload(request);
      const parts: UploadedPart[] = [];
      let after: number | undefined = 0;
      while (after !== undefined) {
        const page = await listParts(upload, { after, limit: MAX_PARTS_LIMIT });
        parts.push(...page.parts);
        after = page.nextAfter;
      }
      checkParts(upload, parts);
      const ref = multipartInputRef(deps.config.uploadsBucket, upload);
      try {
        await deps.objects.completeMultipartUpload(ref, upload.uploadId, parts, { ifNoneMatch: '*' });
      } catch (error) {
        if (error instanceof MultipartUploadNotFoundError || error instanceof ObjectExistsError) {
          // Another request completed it a moment ago.
          throw new HttpError(409, 'upload_completed', `the upload of job ${upload.jobId} is complete already`);
        }
        if (error instanceof InvalidPartError) throw new HttpError(409, 'invalid_parts', error.message);
        throw error;
      }
      await uploads.remove(upload.jobId);
      const found = await jobs.stateFor(request.tenantId, upload.jobId);
      return json(202, { jobId: upload.jobId, status: found?.state.status ?? 'accepted' }, { location: `/jobs/${upload.jobId}` });
    },
  };

  async function listParts(upload: MultipartUploadRecord, page: { after: number; limit: number }) {
    try {
      return await deps.objects.listUploadedParts(multipartInputRef(deps.config.uploadsBucket, upload), upload.uploadId, page);
    } catch (error) {
      if (error instanceof MultipartUploadNotFoundError) {
        throw new HttpError(409, 'upload_closed', `the upload of job ${upload.jobId} is no longer open (completed or aborted)`);
      }
      throw error;
    }
  }
}

/** Every part 1..partCount there, each of its exact length (storage held each URL to it; a part sent otherwise is refused). */
function checkParts(upload: MultipartUploadRecord, parts: readonly UploadedPart[]): void {
  const byNumber = new Map(parts.map((part) => [part.partNumber, part]));
  const missing: number[] = [];
  let missingCount = 0;
  for (let partNumber = 1; partNumber <= upload.partCount; partNumber += 1) {
    if (byNumber.has(partNumber)) continue;
    missingCount += 1;
    if (missing.length < MISSING_NAMED) missing.push(partNumber);
  }
  if (missingCount > 0) {
    throw new HttpError(
      409,
      'upload_incomplete',
      `the upload of job ${upload.jobId} lacks ${missingCount} of its ${upload.partCount} parts (${missing.join(', ')}${missingCount > missing.length ? ', …' : ''}): upload them, then complete again`,
      { missingCount, missing },
    );
  }
  const extra = parts.find((part) => part.partNumber > upload.partCount);
  const wrong = parts.find((part) => part.partNumber <= upload.partCount && part.sizeBytes !== partLength(upload, part.partNumber));
  const total = parts.reduce((sum, part) => sum + part.sizeBytes, 0);
  if (extra || wrong || total !== upload.sizeBytes) {
    const which = extra
      ? `part ${extra.partNumber} is past the last part (${upload.partCount})`
      : wrong
        ? `part ${wrong.partNumber} is ${wrong.sizeBytes} bytes, not ${partLength(upload, wrong.partNumber)}`
        : `the parts add up to ${total} bytes`;
    throw new HttpError(400, 'upload_size_mismatch', `the upload of job ${upload.jobId} is not the ${upload.sizeBytes} bytes declared: ${which}`);
  }
}

function partNumberOf(request: ApiRequest, name: string, fallback: number, partCount: number): number {
  const asked = request.query[name];
  if (asked === undefined) return fallback;
  const min = name === 'after' ? 0 : 1;
  const parsed = z.coerce.number().int().min(min).max(partCount).safeParse(asked);
  if (!parsed.success || asked.trim() === '') {
    throw new HttpError(400, 'invalid_option', `${name} must be a part number from ${min} to ${partCount}, got "${asked}"`);
  }
  return parsed.data;
}
