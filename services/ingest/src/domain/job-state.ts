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
  /** Internal: the review queue and its decisions, when rows of the completed job wait in review. */
  readonly review?: ReviewState;
  /** Internal: the input object and whether it has been submitted. */
  readonly input?: ObjectRefData;
  readonly submitted: boolean;
  /** How many distinct events the history held: a larger version is a newer state. */
  readonly version: number;
}

type ByMethod = JobViewData['byMethod'];

export type ReviewDecisionKind = 'accept' | 'reject';

export interface ReviewState {
  readonly items: ObjectRefData;
  readonly count: number;
  /** The latest decision per row (a later decision of the same row replaces an earlier one). */
  readonly decisions: ReadonlyMap<number, { decision: ReviewDecisionKind; version: number }>;
  /** How many decisions were made: the number of the result's latest version. */
  readonly version: number;
}

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
  let reviewQueue: { items: ObjectRefData; count: number } | undefined;
  const decisions = new Map<number, { decision: ReviewDecisionKind; version: number }>();
  let reviewVersion = 0;
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
          review?: { items: ObjectRefData; count: number };
        };
        if (data.review) reviewQueue = { items: data.review.items, count: data.review.count };
        status = 'completed';
        completedAt = event.occurredAt;
        error = null;
        result = { bucket: data.result.bucket, key: data.result.key };
        finalRows = { ...data.rows, done: data.rows.total };
        finalByMethod = data.byMethod;
        totalChunks = data.chunks.total;
        break;
      }
      case 'review.decided.v1': {
        const data = event.data as { row: number; decision: ReviewDecisionKind; version: number };
        const earlier = decisions.get(data.row);
        if (!earlier || earlier.version < data.version) decisions.set(data.row, { decision: data.decision, version: data.version });
        reviewVersion = Math.max(reviewVersion, data.version);
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
    ...(reviewQueue ? { review: { ...reviewQueue, decisions, version: reviewVersion } } : {}),
  };
}

/** The review queue's figures for the job's view: how many rows wait, and how many were accepted or rejected. */
export function reviewFigures(review: ReviewState): { total: number; pending: number; accepted: number; rejected: number; version: number } {
  let accepted = 0;
  let rejected = 0;
  for (const { decision } of review.decisions.values()) {
    if (decision === 'accept') accepted += 1;
    else rejected += 1;
  }
  return { total: review.count, pending: review.count - accepted - rejected, accepted, rejected, version: review.version };
}

/**
 * The public view of a job: what `GET /jobs/{id}` answers and `job.progressed.v1` carries. `pause`: the platform's
 * work is paused by a fault of the machine (a full data dir), shown on a job still in the pipeline.
 */
export function publicJobView(state: JobState, pause?: { readonly reason: string; readonly since: Date }): JobViewData {
  const inPipeline = state.status !== 'completed' && state.status !== 'failed';
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
    ...(state.review ? { review: reviewFigures(state.review) } : {}),
    ...(pause && inPipeline ? { paused: { reason: pause.reason, since: pause.since.toISOString() } } : {}),
  };
}

// A job without rows in review says nothing about review, as before the review queue existed.
function withoutZeroReview<T extends { review: number }>(progress: T): Omit<T, 'review'> | T {
  if (progress.review > 0) return progress;
  const { review: _none, ...rest } = progress;
  return rest;
}
