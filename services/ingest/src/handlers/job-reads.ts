// The routes that read jobs: the tenant's list (`GET /jobs`), the result file (`GET /jobs/{id}/result`) and its rows
// (`GET /jobs/{id}/rows`).

import { resultRef } from '@refinery/chunk-records';
import type { ObjectRefData } from '@refinery/events';
import { type ApiRequest, type ApiResponse, HttpError, json } from '@refinery/runtime';
import { z } from 'zod';
import type { IngestDeps } from '../config';
import type { JobState } from '../domain/job-state';
import type { Jobs } from '../domain/jobs';
import {
  type CursorScope,
  decodeRowsCursor,
  encodeRowsCursor,
  FIELD_LABELS,
  InvalidCursorError,
  MATCH_STATUSES,
  readResultRows,
  signCursor,
  verifyCursor,
} from '../domain/result-rows';
import { latestResultVersion } from '../domain/review-queue';

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 100;

export const DEFAULT_EVENTS_LIMIT = 100;
export const MAX_EVENTS_LIMIT = 1_000;

export function limitOf(request: ApiRequest, defaultLimit = DEFAULT_PAGE_LIMIT, max = MAX_PAGE_LIMIT): number {
  const asked = request.query.limit;
  if (asked === undefined) return defaultLimit;
  const parsed = z.coerce.number().int().min(1).max(max).safeParse(asked);
  if (!parsed.success || asked.trim() === '') {
    throw new HttpError(400, 'invalid_option', `limit must be an integer from 1 to ${max}, got "${asked}"`);
  }
  return parsed.data;
}

/**
 * `GET /jobs/{id}/events?limit=&cursor=`: a page of the job's history, oldest first, read as one query of the history
 * partition (no page grows with the job). `nextCursor` (null on the last page) is signed for the tenant and the job:
 * it holds the sort key the next page starts after. The tenant is checked on the page's own events, so no read of the
 * whole history is needed; another tenant's job answers 404 like a missing one.
 */
export async function eventsOf(deps: IngestDeps, jobs: Jobs, request: ApiRequest): Promise<ApiResponse> {
  const jobId = request.pathParameters.id ?? '';
  const limit = limitOf(request, DEFAULT_EVENTS_LIMIT, MAX_EVENTS_LIMIT);
  const scope: CursorScope = { key: deps.config.cursorSigningKey, jobId: `${request.tenantId}/${jobId}`, version: 0 };
  const refused = new InvalidCursorError('cursor is not one this API handed out for this job (use the `nextCursor` of a page)');
  let after: string | undefined;
  if (request.query.cursor !== undefined) {
    try {
      after = verifyCursor(request.query.cursor, scope, 'events-cursor', refused, 1_000);
    } catch (error) {
      if (error instanceof InvalidCursorError) throw new HttpError(400, 'invalid_cursor', error.message);
      throw error;
    }
  }
  const page = await jobs.history.page(jobId, { limit, ...(after !== undefined ? { after } : {}) });
  const [first] = page.events;
  // Another tenant's job answers exactly like a missing one: ids are not confirmed to strangers.
  if ((first === undefined && after === undefined) || (first !== undefined && first.metadata.tenantId !== request.tenantId)) {
    throw new HttpError(404, 'not_found', `no job ${jobId}`);
  }
  return json(
    200,
    {
      events: page.events.map((event) => ({ id: event.id, type: event.type, occurredAt: event.occurredAt, data: event.data })),
      nextCursor: page.lastKey === undefined ? null : signCursor(page.lastKey, scope, 'events-cursor'),
    },
    { 'cache-control': 'no-store' },
  );
}

/** `GET /jobs?limit=&after=`: the tenant's jobs, newest first, from their summaries (see domain/job-progress.ts). */
export async function listJobs(jobs: Jobs, request: ApiRequest): Promise<ApiResponse> {
  const limit = limitOf(request);
  const after = request.query.after;
  if (after !== undefined && (after === '' || after.length > 255)) {
    throw new HttpError(400, 'invalid_cursor', 'after must be the `next` of an earlier page');
  }
  const page = await jobs.progress.list(request.tenantId, { limit, ...(after !== undefined ? { after } : {}) });
  return json(200, page, { 'cache-control': 'no-store' });
}

/**
 * `GET /jobs/{id}/result`: a 302 to a short-lived URL of the result file, or, with `Accept: application/json`, that
 * URL as JSON (a browser cannot read the Location of a cross-origin redirect).
 */
export async function resultOf(deps: IngestDeps, state: JobState, request: ApiRequest): Promise<ApiResponse> {
  const { ref: result, version } = await resultVersion(deps, state, request);
  const filename = resultFileName(state.filename, version);
  const download = await deps.objects.presignGet(result, { expiresInSeconds: deps.config.resultUrlTtlSeconds, downloadName: filename });
  if (acceptsJson(request))
    return json(200, { url: download.url, expiresAt: download.expiresAt, filename, version }, { 'cache-control': 'no-store' });
  // Results can be far larger than a Lambda response may be: hand out a short-lived URL to the object instead.
  return { statusCode: 302, headers: { location: download.url, 'cache-control': 'no-store' }, body: '' };
}

/** `GET /jobs/{id}/rows?status=&label=&limit=&after=`: a page of the result file's rows (domain/result-rows.ts). */
export async function rowsOf(deps: IngestDeps, state: JobState, request: ApiRequest): Promise<ApiResponse> {
  const { ref: result, version } = await resultVersion(deps, state, request);
  const status = enumOption(request, 'status', MATCH_STATUSES);
  const label = enumOption(request, 'label', FIELD_LABELS);
  const limit = limitOf(request);
  try {
    const scope = { key: deps.config.cursorSigningKey, jobId: state.jobId, version };
    const after = request.query.after === undefined ? undefined : decodeRowsCursor(request.query.after, scope);
    const page = await readResultRows(deps.objects, result, {
      limit,
      ...(status ? { status } : {}),
      ...(label ? { label } : {}),
      ...(after ? { after } : {}),
    });
    // `version`: the result version read; a page after this one asks for the same (?version=) so its cursor fits.
    return json(
      200,
      { columns: page.columns, rows: page.rows, next: page.next && encodeRowsCursor(page.next, scope), version },
      { 'cache-control': 'no-store' },
    );
  } catch (error) {
    if (error instanceof InvalidCursorError) throw new HttpError(400, 'invalid_cursor', error.message);
    throw error;
  }
}

function enumOption<T extends string>(request: ApiRequest, name: string, values: readonly T[]): T | undefined {
  const asked = request.query[name];
  if (asked === undefined) return undefined;
  if (!(values as readonly string[]).includes(asked)) {
    throw new HttpError(400, 'invalid_option', `${name} must be one of ${values.join(', ')}, got "${asked}"`);
  }
  return asked as T;
}

/**
 * The version of the result a request asks for (`?version=N`: 0 is the merge, N the result after N review decisions),
 * by default the newest one written. Every version stays downloadable.
 */
async function resultVersion(deps: IngestDeps, state: JobState, request: ApiRequest): Promise<{ ref: ObjectRefData; version: number }> {
  const merged = completedResult(state);
  const latest = await latestResultVersion(deps.objects, merged, state.review, state.tenantId, state.jobId);
  const asked = request.query.version;
  if (asked === undefined) return latest;
  const version = Number(asked);
  if (asked.trim() === '' || !Number.isInteger(version) || version < 0 || version > latest.version) {
    throw new HttpError(
      400,
      'invalid_option',
      `version must be an integer from 0 to ${latest.version} (the versions written so far), got "${asked}"`,
    );
  }
  return { ref: version === 0 ? merged : resultRef(merged.bucket, state.tenantId, state.jobId, version), version };
}

/** The result of a completed job, or the 409 that says why there is none. */
export function completedResult(state: JobState): ObjectRefData {
  if (state.status === 'failed') {
    throw new HttpError(409, 'job_failed', `the job failed, so there is no result: ${state.error?.reason ?? 'unknown reason'}`);
  }
  if (state.status !== 'completed' || !state.result) {
    throw new HttpError(409, 'not_ready', `the job is ${state.status}; ${state.rows.done} of ${state.rows.total || '?'} rows done`, {
      status: state.status,
    });
  }
  return state.result;
}

function acceptsJson(request: ApiRequest): boolean {
  return (request.headers.accept ?? '').split(',').some((range) => range.split(';')[0]?.trim().toLowerCase() === 'application/json');
}

export function resultFileName(filename: string, version = 0): string {
  const base = filename.replace(/\.csv$/i, '').replace(/[^A-Za-z0-9 ._-]/g, '_') || 'contacts';
  return version === 0 ? `${base}-refined.csv` : `${base}-refined-v${version}.csv`;
}
