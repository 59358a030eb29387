import { type DomainEvent, EVENT_TYPES, type EventMetadata } from '@refinery/events';
import { ConditionFailedError, type Item, queryAll, type Table } from '@refinery/ports';
import { ActiveJobs } from './active-jobs';
import { AwaitingUploads } from './awaiting-uploads';
import type { JobErasure } from './job-erasure';
import { releaseInFlight } from './tenant-quotas';

/** One event of a job's history, as stored and as `GET /jobs/{id}/events` shows it. */
export interface HistoryEvent {
  readonly id: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly metadata: EventMetadata;
  readonly data: unknown;
}

const PIPELINE_ORDER = new Map<string, number>(EVENT_TYPES.map((type, index) => [type.type, index]));

/**
 * The event store of jobs: each job's history is a partition, one item per event in history order plus a marker per
 * eventId, so appending the same event twice (at-least-once delivery) stores it once (see store()). The history, not a status column, is the truth:
 * a job's state is always a fold of it (see job-state.ts). It also keeps the list of jobs in the pipeline (from
 * job.submitted.v1 to job.completed.v1 or job.failed.v1), which the sweeper watches for jobs that stopped moving.
 */
export class JobHistory {
  readonly active: ActiveJobs;
  /** The jobs waiting for their presigned upload (job.created.v1 to job.submitted.v1), which expire. */
  readonly awaitingUploads: AwaitingUploads;

  /**
   * @param erasure given: each event item carries `expiresAt` (the retention period on), each job is remembered by its
   * creation day for the retention schedule, and an erased job's late events are dropped instead of recreating it.
   */
  constructor(
    private readonly table: Table,
    private readonly erasure?: JobErasure,
  ) {
    this.active = new ActiveJobs(table);
    this.awaitingUploads = new AwaitingUploads(table);
  }

  /** The partition of a job's history (every item of it: erasing the job deletes the partition). */
  partitionOf(jobId: string): string {
    return partitionOf(jobId);
  }

  /** Appends an event; returns false when it was already there. */
  async append(event: DomainEvent): Promise<boolean> {
    if (await this.erasure?.isErased(event.metadata.jobId)) return false;
    const added = await this.store(event);
    if (event.type === 'job.created.v1')
      await this.erasure?.rememberCreated(event.metadata.tenantId, event.metadata.jobId, event.metadata.occurredAt);
    // Whether or not it was new: a retry after a crash between the two writes must still make the second.
    const { jobId, tenantId, occurredAt } = event.metadata;
    if (event.type === 'job.created.v1' && (event.data as { upload?: string }).upload === 'presigned') {
      await this.awaitingUploads.add(jobId, tenantId, occurredAt);
    } else if (event.type === 'job.submitted.v1') {
      await this.active.add(jobId, tenantId, occurredAt);
      await this.awaitingUploads.remove(jobId);
    } else if (event.type === 'job.completed.v1' || event.type === 'job.failed.v1') {
      await this.active.remove(jobId);
      await this.awaitingUploads.remove(jobId);
      // Its place among the tenant's jobs in flight is free again.
      await releaseInFlight(this.table, tenantId, jobId);
    }
    return added;
  }

  /**
   * Two items per event: a marker keyed by the event id (the conditional put that makes a redelivered event count
   * once) that names the event's place in history order, and the event itself at that place (`at#<occurredAt>#<pipeline
   * order>#<eventId>`), so a page of the history is one query in sort-key order. The place is taken from the first
   * delivery: a producer that re-creates the same event (same derived id) later stamps a later occurredAt, and would
   * otherwise store it twice. A crash between the two puts is repaired by the next delivery, which finds the marker and
   * writes the event where the marker says.
   */
  private async store(event: DomainEvent): Promise<boolean> {
    const pk = partitionOf(event.metadata.jobId);
    const expiry = this.erasure ? { expiresAt: this.erasure.expiresAt(new Date(event.metadata.occurredAt)) } : {};
    let at = historyKey(event);
    let added = true;
    try {
      await this.table.put({ pk, sk: `event#${event.metadata.eventId}`, at, ...expiry }, { condition: { kind: 'itemNotExists' } });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      added = false;
      const marker = await this.table.get({ pk, sk: `event#${event.metadata.eventId}` });
      // Stored whole by the earlier format: the job's first read puts it in its place (upgradeEarlierFormat).
      if (marker && isLegacyEvent(marker)) return false;
      at = typeof marker?.at === 'string' ? marker.at : at;
    }
    // A job created in this format is marked as such, so its first read need not look for events of the earlier one.
    if (added && event.type === 'job.created.v1') await this.table.put({ pk, sk: FORMAT_SK, version: HISTORY_FORMAT, ...expiry });
    try {
      await this.table.put(
        {
          pk,
          sk: at,
          type: event.type,
          occurredAt: event.metadata.occurredAt,
          metadata: { ...event.metadata },
          data: event.data as never,
          ...expiry,
        },
        { condition: { kind: 'itemNotExists' } },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error; // already written by an earlier delivery: keep it
    }
    return added;
  }

  /** The job's events, oldest first (ties broken by pipeline order); empty when the job is unknown. */
  async load(jobId: string): Promise<HistoryEvent[]> {
    await this.upgradeEarlierFormat(jobId);
    const events: HistoryEvent[] = [];
    for await (const item of queryAll(this.table, partitionOf(jobId), { beginsWith: HISTORY_PREFIX })) events.push(historyEvent(item));
    return events;
  }

  /**
   * One page of the job's events in history order, read as one query of at most `limit` items: `after` is the
   * `lastKey` of the page before. `lastKey` is absent on the last page.
   */
  async page(jobId: string, options: { limit: number; after?: string }): Promise<{ events: HistoryEvent[]; lastKey?: string }> {
    if (options.after !== undefined && !options.after.startsWith(HISTORY_PREFIX)) throw new Error(`${options.after} is no history key`);
    if (options.after === undefined) await this.upgradeEarlierFormat(jobId);
    const page = await this.table.query(partitionOf(jobId), {
      beginsWith: HISTORY_PREFIX,
      limit: options.limit,
      ...(options.after !== undefined ? { after: options.after } : {}),
    });
    return { events: page.items.map(historyEvent), ...(page.lastKey !== undefined ? { lastKey: page.lastKey } : {}) };
  }

  /**
   * Histories written before events were paged kept each event whole under its id (`event#<eventId>`, no place).
   * Read once per job that lacks the format item: each such event is written at its place in history order, its
   * marker rewritten to name that place, then the job is marked. Data dirs (and tables) from an earlier version keep
   * every job's history across the upgrade; a job created since is marked at creation and costs one get.
   */
  private async upgradeEarlierFormat(jobId: string): Promise<void> {
    const pk = partitionOf(jobId);
    if (await this.table.get({ pk, sk: FORMAT_SK })) return;
    let events = 0;
    let expiresAt: number | undefined;
    for await (const item of queryAll(this.table, pk, { beginsWith: 'event#' })) {
      events += 1;
      if (!isLegacyEvent(item)) continue;
      const event = legacyEvent(item);
      const at = historyKey(event);
      const expiry = typeof item.expiresAt === 'number' ? { expiresAt: item.expiresAt } : {};
      expiresAt = typeof item.expiresAt === 'number' ? Math.max(expiresAt ?? 0, item.expiresAt) : expiresAt;
      try {
        await this.table.put(
          { pk, sk: at, type: item.type, occurredAt: item.occurredAt, metadata: item.metadata, data: item.data, ...expiry },
          { condition: { kind: 'itemNotExists' } },
        );
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
      await this.table.put({ pk, sk: item.sk, at, ...expiry });
    }
    // An unknown job (no events) is left unmarked: nothing is written for a job that does not exist.
    if (events > 0) await this.table.put({ pk, sk: FORMAT_SK, version: HISTORY_FORMAT, ...(expiresAt !== undefined ? { expiresAt } : {}) });
  }
}

const HISTORY_PREFIX = 'at#';
/** The item that says a job's history is stored as this code stores it (see upgradeEarlierFormat). */
const FORMAT_SK = 'format';
const HISTORY_FORMAT = 2;

/** An event stored whole under its id by the earlier format (a marker of this one holds only `at`). */
function isLegacyEvent(item: Item): boolean {
  return typeof item.type === 'string' && typeof item.occurredAt === 'string' && typeof item.metadata === 'object' && item.metadata !== null;
}

function legacyEvent(item: Item): DomainEvent {
  return { type: item.type as string, metadata: item.metadata as unknown as EventMetadata, data: item.data } as DomainEvent;
}

/**
 * Where an event sits in its job's history: by the time it occurred (canonical ISO 8601, which sorts as time does),
 * then by its type's place in the pipeline (events of the same millisecond), then by id.
 */
function historyKey(event: DomainEvent): string {
  const order = String(PIPELINE_ORDER.get(event.type) ?? 99).padStart(2, '0');
  return `${HISTORY_PREFIX}${new Date(event.metadata.occurredAt).toISOString()}#${order}#${event.metadata.eventId}`;
}

function historyEvent(item: Item): HistoryEvent {
  const metadata = item.metadata as unknown as EventMetadata;
  return { id: metadata.eventId, type: item.type as string, occurredAt: item.occurredAt as string, metadata, data: item.data };
}

function partitionOf(jobId: string): string {
  return `job#${jobId}`;
}
