import { createHash } from 'node:crypto';
import { type JobOptionsData, matchThresholdsSchema } from '@refinery/events';
import { type ApiRequest, type ApiResponse, createHttpApi, type HttpApi, HttpError, json, parseJsonBody } from '@refinery/runtime';
import { z } from 'zod';
import type { IngestDeps } from '../config';
import { publicJobView } from '../domain/job-state';
import { Jobs } from '../domain/jobs';
import { checkColumnMappingSize, columnMappingSchema, previewColumnMapping } from './column-mappings';
import { createContactMatchRoute } from './contact-match';
import { createWebhookRoutes } from './crm-webhooks';
import { jobErasureStatus, requestJobErasure } from './erasure';
import { acceptInlineCsv, claimJobId, ensureJob, submitIfUsable, withoutOrphan } from './job-creation';
import { eventsOf, listJobs, resultOf, rowsOf } from './job-reads';
import { createMultipartUploadRoutes, MAX_SINGLE_UPLOAD_BYTES, multipartUploadOf } from './multipart-uploads';
import { decideReviewRow, reviewQueueOf } from './review';

const CSV_TYPES = new Set(['text/csv', 'application/csv', 'application/vnd.ms-excel']);

const chunkRowsSchema = z.coerce.number().int().min(1).max(100_000);

/**
 * A chunk is matched by one matcher invocation, which looks its rows up at the data providers' rate within its
 * function's timeout: a larger chunk than maxChunkRows would time out on every retry.
 */
function checkChunkRows(chunkRows: number | undefined, maxChunkRows: number): void {
  if (chunkRows === undefined || chunkRows <= maxChunkRows) return;
  throw new HttpError(
    400,
    'chunk_rows_over_limit',
    `chunkRows must be at most ${maxChunkRows} (maxChunkRows), got ${chunkRows}: one matcher invocation looks up a chunk's rows ` +
      "at the data providers' rate limit and must finish within its function's timeout; ask for smaller chunks or leave chunkRows out",
  );
}
const filenameSchema = z.string().trim().min(1).max(255);

/** The upload's size is declared up front: the presigned URL is signed for exactly that many bytes. */
const sizeBytesSchema = (maxUploadBytes: number) =>
  z
    .number({ error: 'sizeBytes is required: the size in bytes of the file you will upload (the upload URL takes exactly that many)' })
    .int('sizeBytes must be a whole number of bytes')
    .min(1, 'sizeBytes must be at least 1: the file is empty')
    .max(maxUploadBytes, `sizeBytes must be at most ${maxUploadBytes} (maxUploadBytes): the file is too large`);

const createUploadSchema = (maxUploadBytes: number) =>
  z.object({
    filename: filenameSchema,
    sizeBytes: sizeBytesSchema(maxUploadBytes),
    // `multipart`: the file goes up in parts (multipart-uploads.ts), for files over one PUT's 5 GiB or to resume.
    upload: z.enum(['single', 'multipart']).optional(),
    chunkRows: chunkRowsSchema.optional(),
    columnMapping: columnMappingSchema.optional(),
    thresholds: matchThresholdsSchema.optional(),
  });

/** The jobs HTTP API (API Gateway HTTP API, payload v2). */
export function createApiHandler(deps: IngestDeps): HttpApi {
  const jobs = new Jobs(deps);
  return createHttpApi({
    logger: deps.logger,
    tokens: deps.tokens,
    routes: {
      'POST /jobs': (request) => createJob(deps, jobs, request),
      'POST /contacts/match': createContactMatchRoute(deps, jobs),
      // POST/GET/DELETE /webhook-sources, and POST /webhooks/{source}: signed, without a bearer token.
      ...createWebhookRoutes(deps, jobs),
      'GET /jobs': (request) => listJobs(jobs, request),
      'POST /column-mappings/preview': previewColumnMapping,
      'DELETE /jobs/{id}': (request) => requestJobErasure(deps, jobs, request),
      'GET /jobs/{id}/erasure': (request) => jobErasureStatus(deps, request),
      'GET /jobs/{id}': async (request) => {
        const { state } = await findJob(jobs, request);
        return json(200, publicJobView(state, deps.workPaused?.()));
      },
      'GET /jobs/{id}/events': (request) => eventsOf(deps, jobs, request),
      // GET /jobs/{id}/upload/part-urls, GET /jobs/{id}/upload/parts, POST /jobs/{id}/upload/complete
      ...createMultipartUploadRoutes(deps, jobs),
      'GET /jobs/{id}/result': async (request) => resultOf(deps, (await findJob(jobs, request)).state, request),
      'GET /jobs/{id}/rows': async (request) => rowsOf(deps, (await findJob(jobs, request)).state, request),
      'GET /jobs/{id}/review': async (request) => reviewQueueOf(deps, await findJob(jobs, request), request),
      'POST /jobs/{id}/review/{row}': (request) => decideReviewRow(deps, jobs, request),
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
  checkChunkRows(options.chunkRows, deps.config.maxChunkRows);
  const filename = filenameSchema.catch('upload.csv').parse(request.query.filename ?? 'upload.csv');
  const { jobId, state } = await acceptInlineCsv(deps, jobs, request, { csv: request.body, filename, options });
  return json(202, { jobId, status: state.status }, { location: `/jobs/${jobId}` });
}

/** `POST /jobs` with JSON `{ filename }`: the job waits for its file at a presigned upload URL. */
async function createUploadJob(deps: IngestDeps, jobs: Jobs, request: ApiRequest): Promise<ApiResponse> {
  const body = parseJsonBody(request);
  if (typeof body === 'object' && body !== null && 'columnMapping' in body) checkColumnMappingSize(body.columnMapping);
  const parsed = createUploadSchema(deps.config.maxUploadBytes).safeParse(body);
  if (!parsed.success) throw new HttpError(400, 'invalid_body', z.prettifyError(parsed.error));
  const { filename, sizeBytes, upload: uploadKind, ...rest } = parsed.data;
  const multipart = uploadKind === 'multipart';
  if (!multipart && sizeBytes > MAX_SINGLE_UPLOAD_BYTES) {
    throw new HttpError(
      400,
      'invalid_body',
      `sizeBytes ${sizeBytes} is over one upload's ${MAX_SINGLE_UPLOAD_BYTES} bytes: ask for {"upload": "multipart"}`,
    );
  }
  checkChunkRows(rest.chunkRows, deps.config.maxChunkRows);
  const options: JobOptionsData = {
    ...(rest.chunkRows ? { chunkRows: rest.chunkRows } : {}),
    ...(rest.columnMapping ? { columnMapping: rest.columnMapping } : {}),
    ...(rest.thresholds ? { thresholds: rest.thresholds } : {}),
  };
  // `upload` only when multipart: a key used before multipart existed keeps its fingerprint.
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ filename, sizeBytes, options, ...(multipart ? { upload: 'multipart' } : {}) }))
    .digest('hex');
  const claim = await claimJobId(jobs, request, fingerprint, deps);
  const { state, upload } = await withoutOrphan(jobs, request, claim.jobId, { releaseIdempotencyKey: true }, async () => {
    const state = await ensureJob(jobs, claim, { tenantId: request.tenantId, requestId: request.requestId, filename, upload: 'presigned', options });
    const inputRef = jobs.inputRef(request.tenantId, claim.jobId);
    const waitingForFile = !state.submitted && !(await deps.objects.head(inputRef));
    if (!state.submitted && !waitingForFile) await submitIfUsable(jobs, claim.jobId);
    if (waitingForFile && multipart) return { state, upload: await multipartUploadOf(deps, jobs, request.tenantId, claim.jobId, sizeBytes) };
    const upload = waitingForFile
      ? await deps.objects.presignPut(inputRef, {
          expiresInSeconds: deps.config.uploadUrlTtlSeconds,
          contentType: 'text/csv',
          ifNoneMatch: '*',
          contentLength: sizeBytes,
        })
      : null;
    return { state, upload };
  });
  return json(
    claim.kind === 'new' ? 201 : 200,
    {
      jobId: claim.jobId,
      status: state.status,
      upload:
        upload && ('kind' in upload ? upload : { url: upload.url, method: upload.method, headers: upload.headers, expiresAt: upload.expiresAt }),
    },
    { location: `/jobs/${claim.jobId}` },
  );
}

function parseOptions(query: Readonly<Record<string, string>>): JobOptionsData {
  const options: JobOptionsData = {};
  if (query.chunkRows !== undefined) {
    const parsed = chunkRowsSchema.safeParse(query.chunkRows);
    if (!parsed.success) throw new HttpError(400, 'invalid_option', `chunkRows must be an integer from 1 to 100000, got "${query.chunkRows}"`);
    options.chunkRows = parsed.data;
  }
  // ?matchThreshold=0.99&reviewThreshold=0.6: the inline form of the JSON body's thresholds.
  if (query.matchThreshold !== undefined || query.reviewThreshold !== undefined) {
    const probability = (name: string, value: string | undefined): number | undefined => {
      if (value === undefined) return undefined;
      const number = Number(value);
      if (value.trim() === '' || !(number > 0 && number < 1)) {
        throw new HttpError(400, 'invalid_option', `${name} must be a probability strictly between 0 and 1, got "${value}"`);
      }
      return number;
    };
    const parsed = matchThresholdsSchema.safeParse({
      match: probability('matchThreshold', query.matchThreshold),
      review: probability('reviewThreshold', query.reviewThreshold),
    });
    if (!parsed.success) throw new HttpError(400, 'invalid_option', z.prettifyError(parsed.error));
    options.thresholds = parsed.data;
  }
  return options;
}
