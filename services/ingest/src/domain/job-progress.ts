// Publishing `job.progressed.v1`, throttled per job, and the per-tenant job summaries `GET /jobs` lists.
//
// Each job has a summary item in the jobs table (pk `tenant-jobs#<tenant>`, sk the job id) holding the last published
// view, its version, and the job's publishing slot: `claims` (how many times the slot was claimed) and
// `lastPublishedAt` (when it last was, epoch ms). After recording events of a job, a handler:
//   1. reads the summary (after its events are recorded): `claims` is then c;
//   2. if the slot was claimed less than an interval ago, waits until it frees (at most one interval) and reads again;
//      if `claims` moved past c meanwhile, someone claimed the slot after our events were recorded, and that claimer
//      reads the job's state after claiming, so its view includes them: done;
//   3. claims the slot: compare-and-swap `claims` c -> c+1 with `lastPublishedAt` now. Losing the swap means, again,
//      that someone claimed after our events were recorded: done;
//   4. the claimer reads the job's state (one get of the summary its events are recorded with, job-history.ts),
//      publishes the view (unless the summary already holds that version) and writes it to the summary, provided nobody
//      claimed since (a later claimer read later, so its view is at least as new: the summary's version never goes down).
// So a job publishes at most once per interval, and the latest state is always published, within about an interval.
// Correctness does not depend on clocks agreeing: only the claim counter decides; clocks only set the pace.
import { createEvent, deriveEventId, type JobViewData, jobProgressedV1, jobViewSchema, toPublishEntry } from '@refinery/events';
import { type AttributeValue, type Clock, ConditionFailedError, type EventPublisher, type Item, type ItemKey, type Table } from '@refinery/ports';
import { isMachineFault, type Logger } from '@refinery/runtime';
import type { HistoryEvent, JobHistory } from './job-history';
import { publicJobView, stateOf, summarize } from './job-state';

export interface JobProgressDeps {
  readonly table: Table;
  readonly history: JobHistory;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
  readonly intervalMs: number;
  readonly logger: Logger;
}

/** What one call of {@link JobProgress.publishLatest} did. */
export type ProgressOutcome =
  /** It claimed the slot and published the job's view. */
  | 'published'
  /** Someone claimed the slot after the caller's events were recorded: that claimer's view includes them. */
  | 'covered'
  /** It claimed the slot, but the summary already held that version (or the job has no job.created yet). */
  | 'unchanged';

export const SUMMARY_PREFIX = 'tenant-jobs#';

export function summaryKey(tenantId: string, jobId: string): ItemKey {
  return { pk: `${SUMMARY_PREFIX}${tenantId}`, sk: jobId };
}

export interface JobPage {
  readonly jobs: JobViewData[];
  /** The job id to pass as `after` for the next page; null on the last page. */
  readonly next: string | null;
}

/** A message of a batch that recorded something for a job (see {@link JobProgress.publishForBatch}). */
export interface JobMessage {
  readonly messageId: string;
  readonly tenantId: string;
  readonly jobId: string;
}

export class JobProgress {
  constructor(private readonly deps: JobProgressDeps) {}

  /**
   * A job was just created (job.created.v1 recorded, the first event of its history): publish its view at once and
   * start its summary, taking the slot. Does nothing when the job already has a summary (a repeated request).
   */
  async publishCreated(created: HistoryEvent): Promise<void> {
    const { tenantId, jobId } = created.metadata;
    const key = summaryKey(tenantId, jobId);
    if (await this.deps.table.get(key)) return;
    // Its state as its creation alone makes it (at the creation's place in history: the only one there is).
    const state = stateOf(jobId, summarize([{ at: '', event: created }]).summary);
    if (!state) throw new Error(`job ${jobId}: the event given as its creation is a ${created.type}`);
    const view = publicJobView(state);
    // Published as the job is created: at the creation's instant.
    const now = Date.parse(created.occurredAt);
    await this.publish(view, created, created.metadata.eventId, now);
    try {
      await this.deps.table.put(
        { ...key, ...summaryAttributes(view, tenantId), claims: 1, lastPublishedAt: now },
        { condition: { kind: 'itemNotExists' } },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  /**
   * Events of the job were just recorded: make sure a view that includes them is published (see the top of this file).
   * Call it once per job per batch of events, after recording them all.
   */
  async publishLatest(tenantId: string, jobId: string): Promise<ProgressOutcome> {
    const key = summaryKey(tenantId, jobId);
    let summary = await this.deps.table.get(key);
    const seen = claimsOf(summary);
    let waited = false;
    for (;;) {
      if (claimsOf(summary) !== seen) return 'covered';
      const now = this.deps.clock.now().getTime();
      const lastPublishedAt = typeof summary?.lastPublishedAt === 'number' ? summary.lastPublishedAt : undefined;
      // Wait once, at most an interval: a clock far ahead on another machine must not hold the slot for longer.
      const wait = waited || lastPublishedAt === undefined ? 0 : Math.min(lastPublishedAt + this.deps.intervalMs - now, this.deps.intervalMs);
      if (wait > 0) {
        waited = true;
        await this.deps.sleep(wait);
        summary = await this.deps.table.get(key);
        continue;
      }
      let claimed: Item;
      try {
        claimed = await this.deps.table.update(
          key,
          { set: { claims: seen + 1, lastPublishedAt: now } },
          {
            condition:
              seen === 0 ? { kind: 'attributeNotExists', attribute: 'claims' } : { kind: 'attributeEquals', attribute: 'claims', value: seen },
          },
        );
      } catch (error) {
        if (error instanceof ConditionFailedError) return 'covered';
        throw error;
      }
      return this.publishAsClaimer(tenantId, jobId, seen + 1, claimed, now);
    }
  }

  /**
   * Publishes the progress of every job of a batch, the jobs side by side (each may wait for its slot), and returns the
   * messages of the jobs whose publishing failed: they come back, and the retry publishes.
   */
  async publishForBatch(messages: readonly JobMessage[], logger: Logger): Promise<string[]> {
    const byJob = new Map<string, { tenantId: string; jobId: string; messageIds: string[] }>();
    for (const message of messages) {
      const key = `${message.tenantId}\u0000${message.jobId}`;
      const entry = byJob.get(key) ?? { tenantId: message.tenantId, jobId: message.jobId, messageIds: [] };
      entry.messageIds.push(message.messageId);
      byJob.set(key, entry);
    }
    const failed: string[] = [];
    await Promise.all(
      [...byJob.values()].map(async ({ tenantId, jobId, messageIds }) => {
        try {
          const outcome = await this.publishLatest(tenantId, jobId);
          logger.debug({ jobId, tenantId, outcome }, 'job progress');
        } catch (error) {
          // A full or unwritable data dir is the machine's fault: the runtime pauses, says so once, and spends no attempt
          // on the batch — an error line per job here would say it again.
          if (isMachineFault(error)) throw error;
          logger.error({ err: error, jobId, tenantId }, "could not publish the job's progress; its messages will be retried");
          failed.push(...messageIds);
        }
      }),
    );
    return failed;
  }

  /** The tenant's jobs, newest first (job ids are time-ordered), from their summaries. */
  async list(tenantId: string, options: { limit: number; after?: string }): Promise<JobPage> {
    const jobs: JobViewData[] = [];
    let after = options.after;
    for (;;) {
      const page = await this.deps.table.query(`${SUMMARY_PREFIX}${tenantId}`, {
        reverse: true,
        limit: options.limit + 1 - jobs.length,
        ...(after !== undefined ? { after } : {}),
      });
      for (const item of page.items) {
        const view = viewOf(item);
        // A summary whose first claimer has not written a view yet is not listed until it has.
        if (view) jobs.push(view);
        if (jobs.length > options.limit) {
          jobs.pop();
          return { jobs, next: jobs[jobs.length - 1]?.jobId ?? null };
        }
      }
      if (page.lastKey === undefined) return { jobs, next: null };
      after = page.lastKey;
    }
  }

  private async publishAsClaimer(tenantId: string, jobId: string, claim: number, claimed: Item, claimedAt: number): Promise<ProgressOutcome> {
    const current = await this.deps.history.current(jobId);
    if (!current) return 'unchanged'; // job.created.v1 not recorded yet: its own handler publishes it
    const { state } = current;
    if (state.tenantId !== tenantId) {
      this.deps.logger.warn({ jobId, tenantId, owner: state.tenantId }, 'events name a tenant that does not own the job; not published');
      return 'unchanged';
    }
    const view = publicJobView(state);
    const stored = typeof claimed.version === 'number' ? claimed.version : 0;
    if (view.version <= stored) return 'unchanged';
    await this.publish(view, current.created, current.last.id, claimedAt);
    try {
      await this.deps.table.update(
        summaryKey(tenantId, jobId),
        { set: summaryAttributes(view, tenantId) },
        {
          condition: { kind: 'attributeEquals', attribute: 'claims', value: claim },
        },
      );
    } catch (error) {
      // Someone claimed the slot since: it read later, so its view is at least as new as this one.
      if (!(error instanceof ConditionFailedError)) throw error;
    }
    return 'published';
  }

  private async publish(view: JobViewData, created: HistoryEvent, causationId: string, at: number): Promise<void> {
    const event = createEvent(jobProgressedV1, {
      service: 'ingest',
      metadata: {
        // The same version of a job is the same state: a repeat carries the same id.
        eventId: deriveEventId(view.jobId, jobProgressedV1.type, view.version),
        tenantId: created.metadata.tenantId,
        jobId: view.jobId,
        correlationId: created.metadata.correlationId,
        causationId,
        occurredAt: new Date(at).toISOString(),
      },
      data: { job: view },
    });
    await this.deps.publisher.publish([toPublishEntry(event)]);
  }
}

function claimsOf(summary: Item | undefined): number {
  return typeof summary?.claims === 'number' ? summary.claims : 0;
}

function summaryAttributes(view: JobViewData, tenantId: string): Record<string, AttributeValue> {
  return { tenantId, jobId: view.jobId, version: view.version, view: JSON.parse(JSON.stringify(view)) as AttributeValue };
}

function viewOf(item: Item): JobViewData | undefined {
  if (item.view === undefined) return undefined;
  const parsed = jobViewSchema.safeParse(item.view);
  return parsed.success ? parsed.data : undefined;
}
