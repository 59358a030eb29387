// Creating jobs from requests, shared by the routes that create them (`POST /jobs`, `POST /contacts/match`,
// `POST /webhooks/{source}`): Idempotency-Key claims, the job.created record, and storing a CSV given in the request as
// the job's input.
import { createHash } from 'node:crypto';
import type { JobOptionsData } from '@refinery/events';
import { ObjectExistsError } from '@refinery/ports';
import { type ApiRequest, HttpError, NonRetryableError } from '@refinery/runtime';
import type { IngestDeps } from '../config';
import { inspectFile } from '../domain/inspect-upload';
import type { JobState } from '../domain/job-state';
import { IdempotencyConflictError, type IdempotentClaim, type Jobs, type NewJob } from '../domain/jobs';
import { QuotaExceededError } from '../domain/tenant-quotas';

export interface InlineCsv {
  /** The whole file. */
  readonly csv: Buffer;
  readonly filename: string;
  readonly options: JobOptionsData;
  /**
   * `notification` (default): the upload notification of the stored input submits the job, as for any upload.
   * `at-once`: this request submits it right after storing it, a hop sooner, for callers that wait for the result;
   * the notification then finds it submitted (submitting is idempotent).
   */
  readonly submit?: 'notification' | 'at-once';
  /**
   * The job id, claimed already by the caller (a signed webhook's id, seen for the first time or again) instead of
   * through the request's Idempotency-Key.
   */
  readonly claim?: IdempotentClaim;
}

/**
 * A CSV given in the request: checked at once (415 not a CSV, 422 no usable header), stored create-only as the input
 * of a new job — or, with an Idempotency-Key seen before, the job that key created — and the job as it stands.
 */
export async function acceptInlineCsv(
  deps: IngestDeps,
  jobs: Jobs,
  request: ApiRequest,
  input: InlineCsv,
): Promise<{ jobId: string; state: JobState }> {
  // The same check, with the same limits, as an uploaded file gets when its job is submitted (Jobs.submit).
  const verdict = inspectFile(input.csv, {
    complete: true,
    limits: { maxRowBytes: deps.config.maxRowBytes, maxColumns: deps.config.maxColumns },
    ...(input.options.columnMapping ? { columnMapping: input.options.columnMapping } : {}),
  });
  if (!verdict.ok) {
    if (verdict.kind === 'not-csv') throw new HttpError(415, 'not_csv', verdict.message);
    if (verdict.kind === 'over-limit') throw new HttpError(400, 'csv_limit_exceeded', verdict.message);
    throw new HttpError(422, 'unusable_header', verdict.message, verdict.details);
  }
  const { filename, options } = input;
  const claim = input.claim ?? (await claimJobId(jobs, request, inlineCsvFingerprint(input), deps));
  return withoutOrphan(jobs, request, claim.jobId, { releaseIdempotencyKey: input.claim === undefined }, async () => {
    const state = await ensureJob(jobs, claim, { tenantId: request.tenantId, requestId: request.requestId, filename, upload: 'body', options });
    if (!state.submitted) {
      let stored = false;
      try {
        // Create-only: an input, once stored, never changes under a job. The upload notification submits the job.
        await deps.objects.put(jobs.inputRef(request.tenantId, claim.jobId), input.csv, { contentType: 'text/csv', ifNoneMatch: '*' });
        stored = true;
      } catch (error) {
        if (!(error instanceof ObjectExistsError)) throw error;
        // A retry after the file was stored but before the job was submitted: submit it ourselves.
        await submitIfUsable(jobs, claim.jobId);
      }
      if (stored && input.submit === 'at-once') await submitIfUsable(jobs, claim.jobId);
    }
    // Storing or submitting the input never changes the status (a submitted job is still `accepted`).
    return { jobId: claim.jobId, state };
  });
}

/** How long a client told "storage is unavailable" should wait before trying again. */
export const STORAGE_RETRY_AFTER_SECONDS = 5;

/**
 * Runs the steps that create a job and store (or presign) its input. When storage fails on the way, no job is left
 * `accepted` forever: a job already recorded is failed with the reason (stage.failed.v1 from the API; the merger ends
 * it and frees its place among the tenant's jobs in flight), one not recorded yet gives its place back, the
 * Idempotency-Key is freed so that the client's retry creates the job afresh, and the answer is 503 with Retry-After.
 * (Should even that clean-up fail, the sweep expires a job whose input never arrived.)
 */
export async function withoutOrphan<T>(
  jobs: Jobs,
  request: ApiRequest,
  jobId: string,
  options: { releaseIdempotencyKey: boolean },
  steps: () => Promise<T>,
): Promise<T> {
  try {
    return await steps();
  } catch (error) {
    if (error instanceof HttpError) throw error;
    request.logger.error({ err: error, jobId }, 'creating a job failed: storage');
    let failedJob = false;
    try {
      failedJob = await jobs.abandon(request.tenantId, jobId, `its input could not be stored (request ${request.requestId}): create the job again`);
      const key = request.headers['idempotency-key'];
      if (options.releaseIdempotencyKey && key) await jobs.releaseIdempotencyKey(request.tenantId, key);
    } catch (cleanUp) {
      request.logger.error({ err: cleanUp, jobId }, 'could not clean up after a failed job creation; the sweep expires it');
    }
    throw new HttpError(
      503,
      'storage_unavailable',
      `the job could not be created: storage is unavailable at the moment (request ${request.requestId}). ` +
        `${failedJob ? `Job ${jobId} was recorded and is failed with that reason; ` : 'No job was created; '}` +
        `try again in ${STORAGE_RETRY_AFTER_SECONDS} seconds (with the same Idempotency-Key it is safe)`,
      failedJob ? { jobId, status: 'failed' } : undefined,
      { 'retry-after': String(STORAGE_RETRY_AFTER_SECONDS) },
    );
  }
}

/** What an Idempotency-Key is checked against: the same key must come back with the same file and options. */
function inlineCsvFingerprint(input: InlineCsv): string {
  return createHash('sha256')
    .update(JSON.stringify({ options: input.options, filename: input.filename }))
    .update(input.csv)
    .digest('hex');
}

/**
 * The claimed job as it stands, created first when the claim is new or an earlier attempt with the same key died
 * before creating it.
 */
export async function ensureJob(jobs: Jobs, claim: { kind: 'new' | 'replay'; jobId: string }, job: NewJob): Promise<JobState> {
  const existing = claim.kind === 'replay' ? await jobs.state(claim.jobId) : undefined;
  if (existing) return existing.state;
  const at = jobs.now();
  await admit(jobs, job.tenantId, claim.jobId, at);
  await jobs.create(claim.jobId, job, at);
  const created = await jobs.state(claim.jobId);
  if (!created) throw new Error(`job ${claim.jobId} has no history right after it was created`);
  return created.state;
}

/** A new job counts against the tenant's quotas: over one, 429 with Retry-After and which quota. */
async function admit(jobs: Jobs, tenantId: string, jobId: string, at: Date): Promise<void> {
  try {
    await jobs.quotas.admit(tenantId, jobId, at);
  } catch (error) {
    if (!(error instanceof QuotaExceededError)) throw error;
    throw new HttpError(
      429,
      'too_many_jobs',
      error.message,
      { quota: error.quota, retryAfterSeconds: error.retryAfterSeconds },
      {
        'retry-after': String(error.retryAfterSeconds),
      },
    );
  }
}

export async function claimJobId(jobs: Jobs, request: ApiRequest, fingerprint: string, deps: IngestDeps) {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return { kind: 'new' as const, jobId: deps.ids.newId('job') };
  if (key.length < 1 || key.length > 255) throw new HttpError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 characters');
  try {
    return await jobs.claimIdempotencyKey(request.tenantId, key, fingerprint);
  } catch (error) {
    if (error instanceof IdempotencyConflictError) throw new HttpError(422, 'idempotency_key_reused', error.message);
    throw error;
  }
}

/**
 * Submits a job whose input is in place (a retried request finding the upload's notification not yet handled).
 * An unusable input is not this request's error to report: the uploads subscription fails the job with the reason,
 * and the answer shows the job as it stands.
 */
export async function submitIfUsable(jobs: Jobs, jobId: string): Promise<void> {
  try {
    await jobs.submit(jobId);
  } catch (error) {
    if (!(error instanceof NonRetryableError)) throw error;
  }
}
