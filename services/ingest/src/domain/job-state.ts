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
  /** Rows whose latest decision (the one of the highest version) is accept, or reject. */
  readonly accepted: number;
  readonly rejected: number;
  /** How many decisions were made: the number of the result's latest version. */
  readonly version: number;
}

/** A chunk's progress, summed into the job's running figures. */
export interface Progress {
  readonly done: number;
  readonly matched: number;
  readonly unmatched: number;
  readonly invalid: number;
  readonly review: number;
  readonly exact: number;
  readonly fuzzy: number;
  readonly nickname: number;
}

/** The chunk.labeled.v1 counted for a chunk index: the latest of that index in history order. */
export interface CountedChunk {
  /** Its place in history order (the history item's sort key). */
  readonly at: string;
  readonly index: number;
  readonly rows: { readonly first: number; readonly count: number };
  readonly progress: Progress;
}

/** A row's latest review decision (the highest version; of equal versions, the first in history order). */
export interface RowDecision {
  readonly at: string;
  readonly row: number;
  readonly decision: ReviewDecisionKind;
  readonly version: number;
  readonly eventId: string;
  /** The pair decided, for the job's model to learn from. */
  readonly pair: {
    readonly candidateId: string;
    readonly contact: Readonly<Record<string, string>>;
    readonly candidate: Readonly<Record<string, string>>;
    readonly levels: readonly number[];
  };
}

/**
 * A job's state as its history makes it, kept up to date one event at a time (the job's `state` item), so that reading
 * a job is one get whatever the length of its history. Every figure that history order decides keeps the place (`at`,
 * the history sort key) of the event it came from, so events applied in any order give the same summary as applying
 * them in history order; what is kept per chunk index and per review row lives in items of their own (CountedChunk,
 * RowDecision), read only when an event of that chunk or row arrives.
 */
export interface JobSummary {
  /** Distinct events applied. */
  readonly version: number;
  /** The first job.created.v1 in history order. */
  readonly created?: { readonly at: string; readonly event: HistoryEvent };
  readonly submitted: boolean;
  /** A job.planned.v1 or chunk.labeled.v1 was recorded: the job runs (unless it ended). */
  readonly progressed: boolean;
  /** The latest job.planned.v1's row count. */
  readonly planned?: { readonly at: string; readonly rows: number };
  /** The latest job.planned.v1 or job.completed.v1: each sets the chunk total. */
  readonly chunkTotal?: { readonly at: string; readonly total: number };
  /** Per chunk count a chunk.labeled.v1 carried, the latest place of one: those after chunkTotal raise the total. */
  readonly labeledCounts: Readonly<Record<string, string>>;
  /** Sum over the counted chunks. */
  readonly progress: Progress;
  readonly chunksDone: number;
  /** The latest job.completed.v1 or job.failed.v1: the latest outcome wins (a failed job redriven to completion). */
  readonly terminal?: {
    readonly at: string;
    readonly status: 'completed' | 'failed';
    readonly occurredAt: string;
    readonly error: JobState['error'];
    readonly rows?: JobState['rows'];
    readonly byMethod?: ByMethod;
  };
  /** The latest job.completed.v1's result, and the latest review queue one carried. */
  readonly result?: { readonly at: string; readonly ref: ObjectRefData };
  readonly reviewQueue?: { readonly at: string; readonly items: ObjectRefData; readonly count: number };
  readonly decisions: { readonly accepted: number; readonly rejected: number; readonly version: number };
  /** The latest event in history order (what a stuck job last did). */
  readonly last?: { readonly at: string; readonly id: string; readonly type: string; readonly occurredAt: string };
}

const NO_PROGRESS: Progress = { done: 0, matched: 0, unmatched: 0, invalid: 0, review: 0, exact: 0, fuzzy: 0, nickname: 0 };

export const EMPTY_SUMMARY: JobSummary = {
  version: 0,
  submitted: false,
  progressed: false,
  labeledCounts: {},
  progress: NO_PROGRESS,
  chunksDone: 0,
  decisions: { accepted: 0, rejected: 0, version: 0 },
};

/** What applying one event changes: the summary, and the chunk's or the row's item when it is to be (re)written. */
export interface SummaryStep {
  readonly summary: JobSummary;
  readonly chunk?: CountedChunk;
  readonly decision?: RowDecision;
}

/**
 * The summary after one more event, new to it (the caller makes sure of that: the event's marker is written in the same
 * transaction). `at` is the event's place in history order; `known` holds the chunk's counted event and the row's
 * decision as stored, when the event is of a chunk or a review row.
 */
export function applyEvent(
  summary: JobSummary,
  event: HistoryEvent,
  at: string,
  known: { readonly chunk?: CountedChunk; readonly decision?: RowDecision } = {},
): SummaryStep {
  const after = (earlier: { readonly at: string } | undefined) => earlier === undefined || at > earlier.at;
  let next: JobSummary = {
    ...summary,
    version: summary.version + 1,
    ...(after(summary.last) ? { last: { at, id: event.id, type: event.type, occurredAt: event.occurredAt } } : {}),
  };
  switch (event.type) {
    case 'job.created.v1':
      if (next.created === undefined || at < next.created.at) next = { ...next, created: { at, event } };
      return { summary: next };
    case 'job.submitted.v1':
      return { summary: { ...next, submitted: true } };
    case 'job.planned.v1': {
      const data = event.data as { rows: { total: number }; chunks: { total: number } };
      next = { ...next, progressed: true };
      if (after(next.planned)) next = { ...next, planned: { at, rows: data.rows.total } };
      if (after(next.chunkTotal)) next = { ...next, chunkTotal: { at, total: data.chunks.total } };
      return { summary: next };
    }
    case 'chunk.labeled.v1': {
      const data = event.data as { chunk: { index: number; count: number }; rows: { first: number; count: number }; counts: ChunkCounts };
      const count = String(data.chunk.count);
      const latestOfCount = next.labeledCounts[count];
      next = {
        ...next,
        progressed: true,
        ...(latestOfCount === undefined || at > latestOfCount ? { labeledCounts: { ...next.labeledCounts, [count]: at } } : {}),
      };
      const earlier = known.chunk;
      // Keyed by chunk index: another event of a chunk already counted replaces it only if it comes later in history.
      if (earlier !== undefined && at < earlier.at) return { summary: next };
      const chunk: CountedChunk = {
        at,
        index: data.chunk.index,
        rows: { first: data.rows.first, count: data.rows.count },
        progress: progressOf(data),
      };
      next = {
        ...next,
        progress: plus(earlier ? minus(next.progress, earlier.progress) : next.progress, chunk.progress),
        chunksDone: next.chunksDone + (earlier ? 0 : 1),
      };
      return { summary: next, chunk };
    }
    case 'job.completed.v1': {
      const data = event.data as {
        result: ObjectRefData;
        rows: JobState['rows'] & { total: number };
        byMethod: ByMethod;
        chunks: { total: number };
        review?: { items: ObjectRefData; count: number };
      };
      if (after(next.terminal)) {
        next = {
          ...next,
          terminal: {
            at,
            status: 'completed',
            occurredAt: event.occurredAt,
            error: null,
            rows: { ...data.rows, done: data.rows.total },
            byMethod: data.byMethod,
          },
        };
      }
      if (after(next.chunkTotal)) next = { ...next, chunkTotal: { at, total: data.chunks.total } };
      if (after(next.result)) next = { ...next, result: { at, ref: { bucket: data.result.bucket, key: data.result.key } } };
      if (data.review && after(next.reviewQueue)) next = { ...next, reviewQueue: { at, items: data.review.items, count: data.review.count } };
      return { summary: next };
    }
    case 'job.failed.v1': {
      const data = event.data as { reason: string; rows?: { first: number; count: number } };
      if (after(next.terminal)) {
        const error = { reason: data.reason, ...(data.rows ? { rows: data.rows } : {}) };
        next = { ...next, terminal: { at, status: 'failed', occurredAt: event.occurredAt, error } };
      }
      return { summary: next };
    }
    case 'review.decided.v1': {
      const data = event.data as {
        row: number;
        decision: ReviewDecisionKind;
        version: number;
        candidateId: string;
        contact: Record<string, string>;
        candidate: Record<string, string>;
        comparison: { levels: number[] };
      };
      const decisions = { ...next.decisions, version: Math.max(next.decisions.version, data.version) };
      const earlier = known.decision;
      const replaces = earlier === undefined || earlier.version < data.version || (earlier.version === data.version && at < earlier.at);
      if (!replaces) return { summary: { ...next, decisions } };
      const pair = { candidateId: data.candidateId, contact: data.contact, candidate: data.candidate, levels: data.comparison.levels };
      const decision: RowDecision = { at, row: data.row, decision: data.decision, version: data.version, eventId: event.id, pair };
      const counts = { accepted: decisions.accepted, rejected: decisions.rejected };
      if (earlier) counts[earlier.decision === 'accept' ? 'accepted' : 'rejected'] -= 1;
      counts[decision.decision === 'accept' ? 'accepted' : 'rejected'] += 1;
      return { summary: { ...next, decisions: { ...decisions, ...counts } }, decision };
    }
    default:
      return { summary: next };
  }
}

/** The summary of a whole history (given in any order), with the chunks and decisions it counted. */
export function summarize(entries: Iterable<{ readonly at: string; readonly event: HistoryEvent }>): {
  summary: JobSummary;
  chunks: Map<number, CountedChunk>;
  decisions: Map<number, RowDecision>;
} {
  let summary = EMPTY_SUMMARY;
  const chunks = new Map<number, CountedChunk>();
  const decisions = new Map<number, RowDecision>();
  for (const { at, event } of entries) {
    const step = applyEvent(summary, event, at, { chunk: chunks.get(chunkIndexOf(event) ?? -1), decision: decisions.get(reviewRowOf(event) ?? -1) });
    summary = step.summary;
    if (step.chunk) chunks.set(step.chunk.index, step.chunk);
    if (step.decision) decisions.set(step.decision.row, step.decision);
  }
  return { summary, chunks, decisions };
}

/** The chunk index a chunk.labeled.v1 counts for (undefined for other events). */
export function chunkIndexOf(event: HistoryEvent): number | undefined {
  return event.type === 'chunk.labeled.v1' ? (event.data as { chunk: { index: number } }).chunk.index : undefined;
}

/** The review row a review.decided.v1 decides (undefined for other events). */
export function reviewRowOf(event: HistoryEvent): number | undefined {
  return event.type === 'review.decided.v1' ? (event.data as { row: number }).row : undefined;
}

/** A job's current state, from its summary; undefined while its job.created.v1 is not recorded. */
export function stateOf(jobId: string, summary: JobSummary): JobState | undefined {
  const { created, terminal } = summary;
  if (!created) return undefined;
  const createdData = created.event.data as { filename: string; input: ObjectRefData };
  const status: JobStatus = terminal?.status ?? (summary.progressed ? 'running' : 'accepted');
  let totalChunks = summary.chunkTotal?.total ?? 0;
  for (const [count, at] of Object.entries(summary.labeledCounts)) {
    if (summary.chunkTotal === undefined || at > summary.chunkTotal.at) totalChunks = Math.max(totalChunks, Number(count));
  }
  const completed = terminal?.status === 'completed' && terminal.rows !== undefined && terminal.byMethod !== undefined;
  const { done, matched, unmatched, invalid, review, exact, fuzzy, nickname } = summary.progress;
  return {
    jobId,
    tenantId: created.event.metadata.tenantId,
    status,
    filename: createdData.filename,
    rows:
      completed && terminal.rows
        ? terminal.rows
        : { total: summary.planned?.rows ?? 0, ...withoutZeroReview({ done, matched, unmatched, invalid, review }) },
    byMethod: completed && terminal.byMethod ? terminal.byMethod : { exact, fuzzy, nickname },
    chunks: { total: totalChunks, done: status === 'completed' ? totalChunks : summary.chunksDone },
    createdAt: created.event.occurredAt,
    completedAt: terminal?.occurredAt ?? null,
    error: terminal?.error ?? null,
    submitted: summary.submitted,
    version: summary.version,
    input: createdData.input,
    ...(summary.result ? { result: summary.result.ref } : {}),
    ...(summary.reviewQueue ? { review: { items: summary.reviewQueue.items, count: summary.reviewQueue.count, ...summary.decisions } } : {}),
  };
}

type ChunkCounts = { matched: number; unmatched: number; invalid: number; review?: number; byMethod: ByMethod };

function progressOf(data: { rows: { count: number }; counts: ChunkCounts }): Progress {
  const { counts } = data;
  return {
    done: data.rows.count,
    matched: counts.matched,
    unmatched: counts.unmatched,
    invalid: counts.invalid,
    review: counts.review ?? 0,
    exact: counts.byMethod.exact,
    fuzzy: counts.byMethod.fuzzy,
    nickname: counts.byMethod.nickname,
  };
}

function plus(a: Progress, b: Progress): Progress {
  return combine(a, b, 1);
}

function minus(a: Progress, b: Progress): Progress {
  return combine(a, b, -1);
}

function combine(a: Progress, b: Progress, sign: 1 | -1): Progress {
  return Object.fromEntries((Object.keys(NO_PROGRESS) as (keyof Progress)[]).map((name) => [name, a[name] + sign * b[name]])) as unknown as Progress;
}

/** The review queue's figures for the job's view: how many rows wait, and how many were accepted or rejected. */
export function reviewFigures(review: ReviewState): { total: number; pending: number; accepted: number; rejected: number; version: number } {
  return {
    total: review.count,
    pending: review.count - review.accepted - review.rejected,
    accepted: review.accepted,
    rejected: review.rejected,
    version: review.version,
  };
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
