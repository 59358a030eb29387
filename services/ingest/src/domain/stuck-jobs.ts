import type { Clock, EventPublisher, PublishEntry, Table } from '@refinery/ports';
import { type FailureSubject, type Logger, stageFailureEntry } from '@refinery/runtime';
import type { ActiveJob, ActiveJobs } from './active-jobs';
import { type CurrentJob, JobHistory } from './job-history';
import { summaryKey } from './job-progress';
import type { CountedChunk, JobStatus } from './job-state';

// The backstop of "no job is left running": whatever the cause (an event lost between services, a merger that cannot
// start, a bug), a job in the pipeline with nothing recorded in its history for the stuck period is failed, with what
// it was waiting for and the rows concerned. Only the listed jobs whose summary shows no recent activity have their
// state read (one get), and only the stuck ones their counted chunks (to name those missing).

/** Who fails a stuck job: ingest's `sweep` schedule, or an operator (`refinery jobs fail`). */
export const SWEEPER = { service: 'ingest', subscription: 'sweep' } as const;
export const OPERATOR = { service: 'operator', subscription: 'refinery-jobs-fail' } as const;

export interface StuckJob {
  readonly jobId: string;
  readonly tenantId: string;
  readonly status: JobStatus;
  readonly submittedAt: string;
  /** When its history last grew. */
  readonly lastProgressAt: string;
  readonly idleMs: number;
  readonly chunks: { readonly done: number; readonly total: number };
  /** Rows labeled so far, of the rows planned (0 of 0 before the chunker has planned it). */
  readonly rows: { readonly done: number; readonly total: number };
  /** What it was waiting for, for people. */
  readonly waitingFor: string;
  /** The failure to report: the job's last event, the first chunk and the rows never labeled. */
  readonly subject: FailureSubject;
  readonly reported?: ActiveJob['reported'];
}

export interface StuckJobsDeps {
  readonly table: Table;
  readonly clock: Clock;
  readonly publisher: EventPublisher;
  readonly logger: Logger;
}

export class StuckJobs {
  private readonly history: JobHistory;
  private readonly active: ActiveJobs;

  constructor(private readonly deps: StuckJobsDeps) {
    this.history = new JobHistory(deps.table);
    this.active = this.history.active;
  }

  /** Jobs in the pipeline whose history has not grown for at least `stuckAfterMs`. Lists left behind are cleaned. */
  async find(stuckAfterMs: number): Promise<StuckJob[]> {
    const now = this.deps.clock.now().getTime();
    const stuck: StuckJob[] = [];
    for await (const job of this.active.list()) {
      const summary = await this.deps.table.get(summaryKey(job.tenantId, job.jobId));
      const lastPublishedAt = typeof summary?.lastPublishedAt === 'number' ? summary.lastPublishedAt : 0;
      if (now - Math.max(lastPublishedAt, Date.parse(job.since)) < stuckAfterMs) continue;
      const current = await this.history.current(job.jobId);
      const found = current && (await this.describe(job, current, lastPublishedAt, now));
      if (found === 'ended') {
        await this.active.remove(job.jobId);
        continue;
      }
      if (found && found.idleMs >= stuckAfterMs) stuck.push({ ...found, ...(job.reported ? { reported: job.reported } : {}) });
    }
    return stuck;
  }

  /**
   * Fails every stuck job: `stage.failed.v1` from ingest's sweep (the merger turns it into job.failed.v1 and everyone is
   * told). A job already reported in this state is reported again only after another stuck period (in case the report
   * was lost); its id derives from the job's last event, so repeats collapse.
   */
  async sweep(stuckAfterMs: number): Promise<{ stuck: number; reported: number }> {
    const found = await this.find(stuckAfterMs);
    const now = this.deps.clock.now();
    let reported = 0;
    for (const job of found) {
      const entry = stuckFailure(job, stuckAfterMs);
      const eventId = eventIdOf(entry);
      if (job.reported?.eventId === eventId && now.getTime() - Date.parse(job.reported.at) < stuckAfterMs) continue;
      await this.deps.publisher.publish([entry]);
      await this.active.markReported(job.jobId, eventId, now.toISOString());
      this.deps.logger.warn({ jobId: job.jobId, tenantId: job.tenantId, idleMs: job.idleMs, waitingFor: job.waitingFor }, 'stuck job failed');
      reported += 1;
    }
    return { stuck: found.length, reported };
  }

  /** An operator fails a job, with their reason. Refuses a job that is unknown or already has its outcome. */
  async failByOperator(jobId: string, reason: string): Promise<PublishEntry> {
    const current = await this.history.current(jobId);
    if (!current) throw new Error(`there is no job ${jobId}`);
    const { state } = current;
    if (state.status === 'completed' || state.status === 'failed') {
      throw new Error(`job ${jobId} has already ${state.status} (at ${state.completedAt ?? 'an unknown time'}); there is nothing to fail`);
    }
    const found = await this.describe({ jobId, tenantId: state.tenantId, since: state.createdAt }, current, 0, this.deps.clock.now().getTime());
    if (found === 'ended') throw new Error(`job ${jobId} cannot be failed: it has ended`);
    const entry = stageFailureEntry(OPERATOR, found.subject, { reason: `failed by an operator: ${reason}`, retryable: false, attempts: 1 });
    await this.deps.publisher.publish([entry]);
    return entry;
  }

  /** A job that has not ended, described from its summary; its counted chunks are read only when it has some. */
  private async describe(job: Pick<ActiveJob, 'jobId' | 'tenantId' | 'since'>, current: CurrentJob, lastPublishedAt: number, now: number) {
    if (current.state.status === 'completed' || current.state.status === 'failed') return 'ended' as const;
    const labeled = current.state.chunks.done > 0 ? await this.history.countedChunks(job.jobId) : [];
    return describeStuck(job, current, labeled, lastPublishedAt, now);
  }
}

function eventIdOf(entry: PublishEntry): string {
  return (JSON.parse(entry.detail) as { metadata: { eventId: string } }).metadata.eventId;
}

/** The sweeper's report of a stuck job. */
export function stuckFailure(job: StuckJob, stuckAfterMs: number): PublishEntry {
  return stageFailureEntry(SWEEPER, job.subject, {
    reason: `no progress for ${formatDuration(job.idleMs)} (jobs may stay still for ${formatDuration(stuckAfterMs)}): ${job.waitingFor}`,
    retryable: true,
    attempts: 1,
  });
}

type Range = { first: number; count: number };

function describeStuck(
  job: Pick<ActiveJob, 'jobId' | 'tenantId' | 'since'>,
  current: CurrentJob,
  labeled: readonly CountedChunk[],
  lastPublishedAt: number,
  now: number,
) {
  const { state, created, last, planned } = current;
  // The latest event in history order is the latest in time (history is ordered by occurredAt first).
  const lastProgress = Math.max(lastPublishedAt, Date.parse(job.since), Date.parse(last.occurredAt));
  const totalChunks = state.chunks.total;
  const done = new Set(labeled.map((entry) => entry.index));
  const missingChunks = [...Array(totalChunks).keys()].filter((index) => !done.has(index));
  const gaps = planned
    ? complement(
        labeled.map((entry) => entry.rows),
        state.rows.total,
      )
    : [];
  let waitingFor: string;
  if (!planned && labeled.length === 0) {
    waitingFor = state.submitted
      ? `its input was submitted at ${job.since} but it was never planned (the chunker reported nothing)`
      : 'its input was never submitted';
  } else if (missingChunks.length === 0 && planned) {
    waitingFor = `all ${totalChunks} chunks were labeled, but the merger never completed it`;
  } else {
    waitingFor =
      `${done.size} of ${totalChunks} chunks were labeled; ${listChunks(missingChunks)}` +
      (gaps.length > 0 ? ` (${listRows(gaps)})` : '') +
      ` never ${missingChunks.length === 1 ? 'was' : 'were'}`;
  }
  const first = gaps[0];
  const lastGap = gaps[gaps.length - 1];
  const subject: FailureSubject = {
    metadata: {
      eventId: last.id,
      occurredAt: last.occurredAt,
      tenantId: job.tenantId,
      jobId: job.jobId,
      correlationId: created.metadata.correlationId,
      causationId: last.id,
    },
    eventType: last.type,
    ...(missingChunks.length > 0 ? { chunk: { index: missingChunks[0] as number } } : {}),
    ...(first && lastGap ? { rows: { first: first.first, count: lastGap.first + lastGap.count - first.first } } : {}),
  };
  return {
    jobId: job.jobId,
    tenantId: job.tenantId,
    status: state.status,
    submittedAt: job.since,
    lastProgressAt: new Date(lastProgress).toISOString(),
    idleMs: now - lastProgress,
    chunks: { done: done.size, total: totalChunks },
    rows: { done: state.rows.done, total: state.rows.total },
    waitingFor,
    subject,
  } satisfies Omit<StuckJob, 'reported'>;
}

/** The rows of [0, total) that no range covers, in order. */
function complement(ranges: readonly Range[], total: number): Range[] {
  const sorted = [...ranges].sort((a, b) => a.first - b.first);
  const gaps: Range[] = [];
  let next = 0;
  for (const range of sorted) {
    if (range.first > next) gaps.push({ first: next, count: range.first - next });
    next = Math.max(next, range.first + range.count);
  }
  if (next < total) gaps.push({ first: next, count: total - next });
  return gaps;
}

const SHOWN = 5;

function listChunks(indices: readonly number[]): string {
  const shown = indices.slice(0, SHOWN).map((index) => String(index + 1));
  const more = indices.length > SHOWN ? ` and ${indices.length - SHOWN} more` : '';
  return `${indices.length === 1 ? 'chunk' : 'chunks'} ${shown.join(', ')}${more}`;
}

function listRows(gaps: readonly Range[]): string {
  const shown = gaps.slice(0, SHOWN).map((gap) => (gap.count === 1 ? `row ${gap.first + 1}` : `rows ${gap.first + 1}-${gap.first + gap.count}`));
  return `${shown.join(', ')}${gaps.length > SHOWN ? ', …' : ''}`;
}

/** 45 seconds, 12 minutes, 2 hours, 2 hours 5 minutes. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return `${hours} hour${hours === 1 ? '' : 's'}${rest > 0 ? ` ${rest} minute${rest === 1 ? '' : 's'}` : ''}`;
}
