import type { JobViewData, ObjectRefData } from '@refinery/events';
import type { HistoryEvent } from './job-history';

export type JobStatus = 'accepted' | 'running' | 'completed' | 'failed';

export interface JobState {
  readonly jobId: string;
  readonly tenantId: string;
  readonly status: JobStatus;
  readonly filename: string;
  // review: of the unmatched rows, those waiting in the review queue (absent when none).
  readonly rows: { total: number; done: number; matched: number; unmatched: number; invalid: number; review?: number };
  /** Matched rows by method: summed over labeled chunks, the merger's final figures once completed. */
  readonly byMethod: ByMethod;
  readonly chunks: { total: number; done: number };
  readonly createdAt: string;
  readonly completedAt: string | null;
  readonly error: { reason: string; rows?: { first: number; count: number } } | null;
  /** Internal: where the result is, once completed. */
  readonly result?: ObjectRefData;
  /** Internal: the input object and whether it has been submitted. */
  readonly input?: ObjectRefData;
  readonly submitted: boolean;
  /** How many distinct events the history held: a larger version is a newer state. */
  readonly version: number;
}

type ByMethod = JobViewData['byMethod'];

interface ChunkProgress {
  readonly rows: number;
  readonly matched: number;
  readonly unmatched: number;
  readonly invalid: number;
  readonly review?: number;
  readonly byMethod: ByMethod;
}

/**
 * A job's current state: a pure fold of its history. Order of arrival does not matter (events are sorted by time,
 * and per-chunk progress is keyed by chunk index so a duplicate never counts twice). The latest terminal event wins,
 * so a job that failed and was redriven to completion reads `completed`.
 */
export function foldJobState(jobId: string, history: readonly HistoryEvent[]): JobState | undefined {
  const created = history.find((event) => event.type === 'job.created.v1');
  if (!created) return undefined;
  const createdData = created.data as { filename: string; input: ObjectRefData };
  let status: JobStatus = 'accepted';
  let submitted = false;
  let totalRows = 0;
  let totalChunks = 0;
  let completedAt: string | null = null;
  let error: JobState['error'] = null;
  let result: ObjectRefData | undefined;
  let finalRows: JobState['rows'] | undefined;
  let finalByMethod: ByMethod | undefined;
  const chunks = new Map<number, ChunkProgress>();

  for (const event of history) {
    switch (event.type) {
      case 'job.submitted.v1':
        submitted = true;
        break;
      case 'job.planned.v1': {
        const data = event.data as { rows: { total: number }; chunks: { total: number } };
        totalRows = data.rows.total;
        totalChunks = data.chunks.total;
        if (status === 'accepted') status = 'running';
        break;
      }
      case 'chunk.labeled.v1': {
        const data = event.data as { chunk: { index: number; count: number }; rows: { count: number }; counts: ChunkProgress };
        chunks.set(data.chunk.index, {
          rows: data.rows.count,
          matched: data.counts.matched,
          unmatched: data.counts.unmatched,
          invalid: data.counts.invalid,
          review: data.counts.review ?? 0,
          byMethod: data.counts.byMethod,
        });
        totalChunks = Math.max(totalChunks, data.chunk.count);
        if (status === 'accepted') status = 'running';
        break;
      }
      case 'job.completed.v1': {
        const data = event.data as {
          result: ObjectRefData;
          rows: JobState['rows'] & { total: number };
          byMethod: ByMethod;
          chunks: { total: number };
        };
        status = 'completed';
        completedAt = event.occurredAt;
        error = null;
        result = { bucket: data.result.bucket, key: data.result.key };
        finalRows = { ...data.rows, done: data.rows.total };
        finalByMethod = data.byMethod;
        totalChunks = data.chunks.total;
        break;
      }
      case 'job.failed.v1': {
        const data = event.data as { reason: string; rows?: { first: number; count: number } };
        status = 'failed';
        completedAt = event.occurredAt;
        error = { reason: data.reason, ...(data.rows ? { rows: data.rows } : {}) };
        break;
      }
      default:
        break;
    }
  }

  const progress = [...chunks.values()].reduce(
    (sum, chunk) => ({
      done: sum.done + chunk.rows,
      matched: sum.matched + chunk.matched,
      unmatched: sum.unmatched + chunk.unmatched,
      invalid: sum.invalid + chunk.invalid,
      review: sum.review + (chunk.review ?? 0),
    }),
    { done: 0, matched: 0, unmatched: 0, invalid: 0, review: 0 },
  );
  const byMethod = [...chunks.values()].reduce(
    (sum, chunk) => ({
      exact: sum.exact + chunk.byMethod.exact,
      fuzzy: sum.fuzzy + chunk.byMethod.fuzzy,
      nickname: sum.nickname + chunk.byMethod.nickname,
    }),
    { exact: 0, fuzzy: 0, nickname: 0 },
  );
  const completed = status === 'completed' && finalRows !== undefined;
  return {
    jobId,
    tenantId: created.metadata.tenantId,
    status,
    filename: createdData.filename,
    rows: completed && finalRows ? finalRows : { total: totalRows, ...withoutZeroReview(progress) },
    byMethod: completed && finalByMethod ? finalByMethod : byMethod,
    chunks: { total: totalChunks, done: status === 'completed' ? totalChunks : chunks.size },
    createdAt: created.occurredAt,
    completedAt,
    error,
    submitted,
    version: new Set(history.map((event) => event.id)).size,
    input: createdData.input,
    ...(result ? { result } : {}),
  };
}

/** The public view of a job: what `GET /jobs/{id}` answers and `job.progressed.v1` carries. */
export function publicJobView(state: JobState): JobViewData {
  return {
    jobId: state.jobId,
    status: state.status,
    filename: state.filename,
    rows: state.rows,
    byMethod: state.byMethod,
    chunks: state.chunks,
    createdAt: state.createdAt,
    completedAt: state.completedAt,
    error: state.error,
    version: state.version,
  };
}

// A job without rows in review says nothing about review, as before the review queue existed.
function withoutZeroReview<T extends { review: number }>(progress: T): Omit<T, 'review'> | T {
  if (progress.review > 0) return progress;
  const { review: _none, ...rest } = progress;
  return rest;
}
