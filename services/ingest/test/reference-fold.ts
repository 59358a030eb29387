import type { JobViewData, ObjectRefData } from '@refinery/events';
import type { HistoryEvent } from '../src/domain/job-history';
import type { JobState, JobStatus, ReviewDecisionKind } from '../src/domain/job-state';

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
 * The reference of a job's state: a pure fold of its whole history, as the service computed it before job states were
 * kept up to date event by event (domain/job-state.ts applyEvent). The property test holds the summary to it. Order of arrival does not matter (events are sorted by time,
 * and per-chunk progress is keyed by chunk index so a duplicate never counts twice). The latest terminal event wins,
 * so a job that failed and was redriven to completion reads `completed`.
 */
export function foldJobState(jobId: string, history: readonly HistoryEvent[]): JobState | undefined {
  return foldWithDecisions(jobId, history)?.state;
}

/** The fold, with the latest decision of each review row. */
export function foldWithDecisions(
  jobId: string,
  history: readonly HistoryEvent[],
): { state: JobState; decisions: Map<number, { decision: ReviewDecisionKind; version: number }> } | undefined {
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
  const accepted = [...decisions.values()].filter((entry) => entry.decision === 'accept').length;
  const state: JobState = {
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
    ...(reviewQueue ? { review: { ...reviewQueue, accepted, rejected: decisions.size - accepted, version: reviewVersion } } : {}),
  };
  return { state, decisions };
}

// A job without rows in review says nothing about review, as before the review queue existed.
function withoutZeroReview<T extends { review: number }>(progress: T): Omit<T, 'review'> | T {
  if (progress.review > 0) return progress;
  const { review: _none, ...rest } = progress;
  return rest;
}
