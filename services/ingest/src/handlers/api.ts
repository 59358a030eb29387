import { createHash } from 'node:crypto';
import { z } from 'zod';
import { mappedFieldSchema, type JobOptionsData } from '@refinery/events';
import { ObjectExistsError } from '@refinery/ports';
import {
  HttpError,
  NonRetryableError,
  createHttpApi,
  json,
  parseJsonBody,
  type ApiRequest,
  type ApiResponse,
  type HttpApiHandler,
} from '@refinery/runtime';
import type { IngestDeps } from '../config';
import { inspectUpload } from '../domain/inspect-upload';
import { IdempotencyConflictError, Jobs, type NewJob } from '../domain/jobs';
import { publicJobView, type JobState } from '../domain/job-state';

const CSV_TYPES = new Set(['text/csv', 'application/csv', 'application/vnd.ms-excel']);

const chunkRowsSchema = z.coerce.number().int().min(1).max(100_000);
const filenameSchema = z.string().trim().min(1).max(255);

const createUploadSchema = z.object({
  filename: filenameSchema,
  chunkRows: chunkRowsSchema.optional(),
  columnMapping: z.record(z.string(), mappedFieldSchema.nullable()).optional(),
});

/** The jobs HTTP API (API Gateway HTTP API, payload v2). */
export function createApiHandler(deps: IngestDeps): HttpApiHandler {
  const jobs = new Jobs(deps);
  return createHttpApi({
    logger: deps.logger,
    tokens: deps.tokens,
    routes: {
      'POST /jobs': (request) => createJob(deps, jobs, request),
      'GET /jobs/{id}': async (request) => {
        const { state } = await findJob(jobs, request);
        return json(200, publicJobView(state));
      },
      'GET /jobs/{id}/events': async (request) => {
        const { history } = await findJob(jobs, request);
        return json(200, history.map((event) => ({ id: event.id, type: event.type, occurredAt: event.occurredAt, data: event.data })));
      },
      'GET /jobs/{id}/result': async (request) => {
        const { state } = await findJob(jobs, request);
        if (state.status === 'failed') {
          throw new HttpError(409, 'job_failed', `the job failed, so there is no result: ${state.error?.reason ?? 'unknown reason'}`);
        }
        if (state.status !== 'completed' || !state.result) {
          throw new HttpError(409, 'not_ready', `the job is ${state.status}; ${state.rows.done} of ${state.rows.total || '?'} rows done`, {
            status: state.status,
          });
        }
        const download = await deps.objects.presignGet(state.result, {
          expiresInSeconds: deps.config.resultUrlTtlSeconds,
          downloadName: resultFileName(state.filename),
        });
        // Results can be far larger than a Lambda response may be: hand out a short-lived URL to the object instead.
        return { statusCode: 302, headers: { location: download.url, 'cache-control': 'no-store' }, body: '' };
      },
    },
  });
}

async function findJob(jobs: Jobs, request: ApiRequest) {
  const jobId = request.pathParameters.id ?? '';
  const found = await jobs.stateFor(request.tenantId, jobId);
  // Another tenant's job answers exactly like a missing one: ids are not confirmed to strangers.
  if (!found) throw new HttpError(404, 'not_found', `no job ${jobId}`);
  return found;
}

async function createJob(deps: IngestDeps, jobs: Jobs, request: ApiRequest): Promise<ApiResponse> {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (contentType === 'application/json') return createUploadJob(deps, jobs, request);
  if (CSV_TYPES.has(contentType)) return createInlineJob(deps, jobs, request);
  throw new HttpError(
    415,
    'unsupported_media_type',
    `Content-Type ${contentType || '(none)'} is not accepted: send the CSV as text/csv, or JSON {"filename"} as application/json to get an upload URL`,
  );
}

/** `POST /jobs` with the CSV in the body: checked at once, stored, and the upload notification submits it. */
async function createInlineJob(deps: IngestDeps, jobs: Jobs, request: ApiRequest): Promise<ApiResponse> {
  if (request.body.length === 0) throw new HttpError(400, 'empty_body', 'the request body is empty; send the CSV file as the body');
  const options = parseOptions(request.query);
  const verdict = inspectUpload(request.body, { complete: true });
  if (!verdict.ok) {
    if (verdict.kind === 'not-csv') throw new HttpError(415, 'not_csv', verdict.message);
    throw new HttpError(422, 'unusable_header', verdict.message, verdict.details);
  }
  const filename = filenameSchema.catch('upload.csv').parse(request.query.filename ?? 'upload.csv');
  const fingerprint = createHash('sha256').update(JSON.stringify({ options, filename })).update(request.body).digest('hex');
  const claim = await claimJobId(jobs, request, fingerprint, deps);
  const state = await ensureJob(jobs, claim, { tenantId: request.tenantId, requestId: request.requestId, filename, upload: 'body', options });
  if (!state.submitted) {
    try {
      // Create-only: an input, once stored, never changes under a job. The upload notification submits the job.
      await deps.objects.put(jobs.inputRef(request.tenantId, claim.jobId), request.body, { contentType: 'text/csv', ifNoneMatch: '*' });
    } catch (error) {
      if (!(error instanceof ObjectExistsError)) throw error;
      // A retry after the file was stored but before the job was submitted: submit it ourselves.
      await submitIfUsable(jobs, claim.jobId);
    }
  }
  // Storing or submitting the input never changes the status (a submitted job is still `accepted`).
  return json(202, { jobId: claim.jobId, status: state.status }, { location: `/jobs/${claim.jobId}` });
}

/** `POST /jobs` with JSON `{ filename }`: the job waits for its file at a presigned upload URL. */
async function createUploadJob(deps: IngestDeps, jobs: Jobs, request: ApiRequest): Promise<ApiResponse> {
  const parsed = createUploadSchema.safeParse(parseJsonBody(request));
  if (!parsed.success) throw new HttpError(400, 'invalid_body', z.prettifyError(parsed.error));
  const { filename, ...rest } = parsed.data;
  const options: JobOptionsData = { ...(rest.chunkRows ? { chunkRows: rest.chunkRows } : {}), ...(rest.columnMapping ? { columnMapping: rest.columnMapping } : {}) };
  const fingerprint = createHash('sha256').update(JSON.stringify({ filename, options })).digest('hex');
  const claim = await claimJobId(jobs, request, fingerprint, deps);
  const state = await ensureJob(jobs, claim, { tenantId: request.tenantId, requestId: request.requestId, filename, upload: 'presigned', options });
  const inputRef = jobs.inputRef(request.tenantId, claim.jobId);
  const waitingForFile = !state.submitted && !(await deps.objects.head(inputRef));
  if (!state.submitted && !waitingForFile) await submitIfUsable(jobs, claim.jobId);
  const upload = waitingForFile
    ? await deps.objects.presignPut(inputRef, { expiresInSeconds: deps.config.uploadUrlTtlSeconds, contentType: 'text/csv', ifNoneMatch: '*' })
    : null;
  return json(
    claim.kind === 'new' ? 201 : 200,
    {
      jobId: claim.jobId,
      status: state.status,
      upload: upload && { url: upload.url, method: upload.method, headers: upload.headers, expiresAt: upload.expiresAt },
    },
    { location: `/jobs/${claim.jobId}` },
  );
}

/**
 * The claimed job as it stands, created first when the claim is new or an earlier attempt with the same key died
 * before creating it.
 */
async function ensureJob(jobs: Jobs, claim: { kind: 'new' | 'replay'; jobId: string }, job: NewJob): Promise<JobState> {
  const existing = claim.kind === 'replay' ? await jobs.state(claim.jobId) : undefined;
  if (existing) return existing.state;
  await jobs.create(claim.jobId, job);
  const created = await jobs.state(claim.jobId);
  if (!created) throw new Error(`job ${claim.jobId} has no history right after it was created`);
  return created.state;
}

async function claimJobId(jobs: Jobs, request: ApiRequest, fingerprint: string, deps: IngestDeps) {
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
async function submitIfUsable(jobs: Jobs, jobId: string): Promise<void> {
  try {
    await jobs.submit(jobId);
  } catch (error) {
    if (!(error instanceof NonRetryableError)) throw error;
  }
}

function parseOptions(query: Readonly<Record<string, string>>): JobOptionsData {
  if (query.chunkRows === undefined) return {};
  const parsed = chunkRowsSchema.safeParse(query.chunkRows);
  if (!parsed.success) throw new HttpError(400, 'invalid_option', `chunkRows must be an integer from 1 to 100000, got "${query.chunkRows}"`);
  return { chunkRows: parsed.data };
}

function resultFileName(filename: string): string {
  const base = filename.replace(/\.csv$/i, '').replace(/[^A-Za-z0-9 ._-]/g, '_') || 'contacts';
  return `${base}-refined.csv`;
}
