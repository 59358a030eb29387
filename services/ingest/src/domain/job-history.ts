import { setTimeout as sleep } from 'node:timers/promises';
import { type DomainEvent, EVENT_TYPES, type EventMetadata } from '@refinery/events';
import {
  type AttributeValue,
  type Condition,
  ConditionFailedError,
  type Item,
  type ItemKey,
  queryAll,
  type Table,
  type TransactWrite,
} from '@refinery/ports';
import { ActiveJobs } from './active-jobs';
import { AwaitingUploads } from './awaiting-uploads';
import type { JobErasure } from './job-erasure';
import {
  applyEvent,
  type CountedChunk,
  chunkIndexOf,
  EMPTY_SUMMARY,
  type JobState,
  type JobSummary,
  type RowDecision,
  reviewRowOf,
  stateOf,
  summarize,
} from './job-state';
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

/** A job as its summary shows it: its state, its job.created.v1, and the latest event of its history. */
export interface CurrentJob {
  readonly state: JobState;
  readonly created: HistoryEvent;
  readonly last: { readonly id: string; readonly type: string; readonly occurredAt: string };
  /** Whether a job.planned.v1 was recorded. */
  readonly planned: boolean;
}

/**
 * The event store of jobs: each job's history is a partition, one item per event in history order plus a marker per
 * eventId, so appending the same event twice (at-least-once delivery) stores it once (see store()). The history is the
 * truth; the job's state is its summary (the `state` item, job-state.ts JobSummary), which every new event updates in
 * the same transaction that records it, so reading a job is one get however long its history. It also keeps the list
 * of jobs in the pipeline (from job.submitted.v1 to job.completed.v1 or job.failed.v1), which the sweeper watches for
 * jobs that stopped moving.
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
   * One transaction per event: a marker keyed by the event id (its condition makes a redelivered event a no-op, so
   * nothing is counted twice) that names the event's place in history order, the event itself at that place
   * (`at#<occurredAt>#<pipeline order>#<eventId>`, so a page of the history is one query in sort-key order), and the
   * job's summary with the event applied. The place is taken from the first delivery: a producer that re-creates the
   * same event (same derived id) later stamps a later occurredAt, and would otherwise store it twice. A marker without
   * its event (the previous version wrote them one after the other, and could stop between) is repaired by the next
   * delivery, which records the event where the marker says.
   */
  private async store(event: DomainEvent): Promise<boolean> {
    const pk = partitionOf(event.metadata.jobId);
    const expiry = this.erasure ? { expiresAt: this.erasure.expiresAt(new Date(event.metadata.occurredAt)) } : {};
    if (await this.record(event, historyKey(event), expiry, 'new')) {
      // A job created in this format is marked as such, so its first read need not look for events of the earlier one.
      if (event.type === 'job.created.v1') await this.table.put({ pk, sk: FORMAT_SK, version: HISTORY_FORMAT, ...expiry });
      return true;
    }
    const marker = await this.table.get({ pk, sk: `event#${event.metadata.eventId}` });
    // Stored whole by the earlier format: the job's first read puts it in its place (upgradeEarlierFormat).
    if (!marker || isLegacyEvent(marker) || typeof marker.at !== 'string') return false;
    if (!(await this.table.get({ pk, sk: marker.at }))) await this.record(event, marker.at, expiry, 'repair');
    return false;
  }

  /**
   * Records the event at `at` and applies it to the summary, in one transaction; false when it was there already
   * (`new`: its marker exists; `repair`: its history item does). The summary's `version` (distinct events) is the
   * compare-and-set of concurrent recorders: a recorder that loses reads again and retries. The item of the event's
   * chunk (or review row) is assumed new at first, and read once its condition says otherwise.
   */
  private async record(event: DomainEvent, at: string, expiry: { expiresAt?: number }, mode: 'new' | 'repair'): Promise<boolean> {
    const { jobId } = event.metadata;
    const pk = partitionOf(jobId);
    const entry = historyEventOf(event);
    const chunkIndex = chunkIndexOf(entry);
    const row = reviewRowOf(entry);
    const chunkKey = chunkIndex === undefined ? undefined : { pk, sk: chunkSk(chunkIndex) };
    const decisionKey = row === undefined ? undefined : { pk, sk: decisionSk(row) };
    let readOwnItems = false;
    for (let attempt = 1; ; attempt += 1) {
      const stored = await this.table.get({ pk, sk: STATE_SK });
      if (!stored && (await this.hasHistory(jobId))) {
        await this.summarizeHistory(jobId);
        continue;
      }
      // Read after the summary: a change to them since bumped the summary's version, and the transaction fails.
      const chunkItem = readOwnItems && chunkKey ? await this.table.get(chunkKey) : undefined;
      const decisionItem = readOwnItems && decisionKey ? await this.table.get(decisionKey) : undefined;
      const chunk = chunkItem ? (chunkItem.chunk as unknown as CountedChunk) : undefined;
      const decision = decisionItem ? (decisionItem.decision as unknown as RowDecision) : undefined;
      const summary = stored ? summaryOf(stored) : EMPTY_SUMMARY;
      const step = applyEvent(summary, entry, at, { chunk, decision });
      const writes: TransactWrite[] = [];
      if (mode === 'new')
        writes.push({ kind: 'put', item: { pk, sk: `event#${event.metadata.eventId}`, at, ...expiry }, condition: { kind: 'itemNotExists' } });
      const eventWrite = writes.length;
      writes.push({
        kind: 'put',
        item: {
          pk,
          sk: at,
          type: event.type,
          occurredAt: event.metadata.occurredAt,
          metadata: { ...event.metadata },
          data: event.data as never,
          ...expiry,
        },
        ...(mode === 'repair' ? { condition: { kind: 'itemNotExists' } as const } : {}),
      });
      const summaryWrite = writes.length;
      writes.push({
        kind: 'put',
        item: { pk, sk: STATE_SK, version: step.summary.version, summary: asAttribute(step.summary), ...laterExpiry(stored, expiry) },
        condition: stored ? { kind: 'attributeEquals', attribute: 'version', value: summary.version } : { kind: 'itemNotExists' },
      });
      const ownWrite = writes.length;
      const own =
        ownItemWrite(chunkKey, chunkItem, step.chunk ? { chunk: asAttribute(step.chunk) } : undefined, expiry) ??
        ownItemWrite(decisionKey, decisionItem, step.decision ? { decision: asAttribute(step.decision) } : undefined, expiry);
      if (own) writes.push(own);
      try {
        await this.table.transact(writes);
        return true;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        if (error.index === 0 && mode === 'new') return false;
        if (error.index === eventWrite) return false;
        if (error.index === ownWrite && !readOwnItems) {
          readOwnItems = true;
          continue;
        }
        if (error.index !== summaryWrite && error.index !== ownWrite) throw error;
        if (attempt >= SUMMARY_ATTEMPTS) {
          throw new Error(
            `job ${jobId}: its summary changed under ${attempt} attempts in a row to record ${event.type} ${event.metadata.eventId} (other events of the job arriving at once); the event is not recorded, deliver it again`,
          );
        }
        // At once the first time (one other recorder got there first); then spread out, the way a crowd needs.
        if (attempt > 1) await sleep(Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** attempt));
      }
    }
  }

  /** The job as its summary shows it (one get), or undefined when its job.created.v1 is not recorded. */
  async current(jobId: string): Promise<CurrentJob | undefined> {
    const summary = await this.summary(jobId);
    const state = summary && stateOf(jobId, summary);
    if (!summary?.created || !state || !summary.last) return undefined;
    const { id, type, occurredAt } = summary.last;
    return { state, created: summary.created.event, last: { id, type, occurredAt }, planned: summary.planned !== undefined };
  }

  /** The job's summary; a job recorded by an earlier version (no summary) gets it built from its history first. */
  async summary(jobId: string): Promise<JobSummary | undefined> {
    const stored = await this.table.get({ pk: partitionOf(jobId), sk: STATE_SK });
    if (stored) return summaryOf(stored);
    if (!(await this.hasHistory(jobId))) return undefined;
    return this.summarizeHistory(jobId);
  }

  /** The latest decision of each review row of the job (one item per row decided). */
  async decisions(jobId: string): Promise<Map<number, RowDecision>> {
    const decisions = new Map<number, RowDecision>();
    for await (const item of queryAll(this.table, partitionOf(jobId), { beginsWith: DECISION_PREFIX })) {
      const decision = item.decision as unknown as RowDecision;
      decisions.set(decision.row, decision);
    }
    return decisions;
  }

  /** The latest decision of one review row, or undefined while it has none. */
  async decision(jobId: string, row: number): Promise<RowDecision | undefined> {
    const item = await this.table.get({ pk: partitionOf(jobId), sk: decisionSk(row) });
    return item ? (item.decision as unknown as RowDecision) : undefined;
  }

  /** The chunks counted so far, by index (the chunk.labeled.v1 counted for each). */
  async countedChunks(jobId: string): Promise<CountedChunk[]> {
    const chunks: CountedChunk[] = [];
    for await (const item of queryAll(this.table, partitionOf(jobId), { beginsWith: CHUNK_PREFIX }))
      chunks.push(item.chunk as unknown as CountedChunk);
    return chunks;
  }

  /** One recorded event by its id (its marker names its place), or undefined. */
  async event(jobId: string, eventId: string): Promise<HistoryEvent | undefined> {
    const pk = partitionOf(jobId);
    const marker = await this.table.get({ pk, sk: `event#${eventId}` });
    if (!marker) return undefined;
    if (isLegacyEvent(marker)) return historyEvent(marker);
    const item = typeof marker.at === 'string' ? await this.table.get({ pk, sk: marker.at }) : undefined;
    return item ? historyEvent(item) : undefined;
  }

  private async hasHistory(jobId: string): Promise<boolean> {
    return (await this.table.query(partitionOf(jobId), { beginsWith: 'event#', limit: 1 })).items.length > 0;
  }

  /**
   * The summary of a job recorded before summaries were kept (data dirs and tables of an earlier version), built once
   * from its history: its chunk and decision items first (create-only: one written since by a recorder is newer), then
   * the summary, create-only too (another reader may have built it meanwhile: the same summary). From then on every
   * event updates it.
   */
  private async summarizeHistory(jobId: string): Promise<JobSummary> {
    const pk = partitionOf(jobId);
    await this.upgradeEarlierFormat(jobId);
    const entries: { at: string; event: HistoryEvent }[] = [];
    let expiresAt: number | undefined;
    for await (const item of queryAll(this.table, pk, { beginsWith: HISTORY_PREFIX })) {
      entries.push({ at: item.sk, event: historyEvent(item) });
      if (typeof item.expiresAt === 'number') expiresAt = Math.max(expiresAt ?? 0, item.expiresAt);
    }
    const { summary, chunks, decisions } = summarize(entries);
    const expiry = expiresAt === undefined ? {} : { expiresAt };
    const items: Item[] = [
      ...[...chunks.values()].map((chunk) => ({ pk, sk: chunkSk(chunk.index), chunk: asAttribute(chunk), version: 1, ...expiry })),
      ...[...decisions.values()].map((decision) => ({ pk, sk: decisionSk(decision.row), decision: asAttribute(decision), version: 1, ...expiry })),
      { pk, sk: STATE_SK, version: summary.version, summary: asAttribute(summary), ...expiry },
    ];
    for (const item of items) {
      try {
        await this.table.put(item, { condition: { kind: 'itemNotExists' } });
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    return summary;
  }

  /** The job's events, oldest first (ties broken by pipeline order); empty when the job is unknown. */
  async load(jobId: string): Promise<HistoryEvent[]> {
    // Read whole only by tests (against the reference fold): every reader of a job's state reads its summary.
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
/** The job's summary (job-state.ts JobSummary). */
const STATE_SK = 'state';
/** Per chunk index, the chunk.labeled.v1 counted for it; per review row, its latest decision. */
const CHUNK_PREFIX = 'chunk#';
const DECISION_PREFIX = 'decision#';
/** Recorders of one job's events racing for its summary: attempts, and the longest pause between two. */
const SUMMARY_ATTEMPTS = 40;
const MAX_BACKOFF_MS = 200;

function chunkSk(index: number): string {
  return `${CHUNK_PREFIX}${String(index).padStart(9, '0')}`;
}

function decisionSk(row: number): string {
  return `${DECISION_PREFIX}${String(row).padStart(15, '0')}`;
}

/** The write of the event's chunk or review-row item: (re)written when it counts, otherwise only checked unchanged. */
function ownItemWrite(
  key: ItemKey | undefined,
  stored: Item | undefined,
  value: Record<string, AttributeValue> | undefined,
  expiry: { expiresAt?: number },
): TransactWrite | undefined {
  if (!key) return undefined;
  const unchanged: Condition = !stored
    ? { kind: 'itemNotExists' }
    : typeof stored.version === 'number'
      ? { kind: 'attributeEquals', attribute: 'version', value: stored.version }
      : { kind: 'attributeNotExists', attribute: 'version' };
  if (!value) return { kind: 'conditionCheck', key, condition: unchanged };
  return { kind: 'put', item: { ...key, ...value, version: ((stored?.version as number | undefined) ?? 0) + 1, ...expiry }, condition: unchanged };
}

function summaryOf(item: Item): JobSummary {
  return item.summary as unknown as JobSummary;
}

/** As stored: no undefined anywhere (DynamoDB and SQLite alike drop it). */
function asAttribute(value: unknown): AttributeValue {
  return JSON.parse(JSON.stringify(value)) as AttributeValue;
}

/** The summary lives as long as the job's latest event. */
function laterExpiry(stored: Item | undefined, expiry: { expiresAt?: number }): { expiresAt?: number } {
  const earlier = typeof stored?.expiresAt === 'number' ? stored.expiresAt : undefined;
  if (expiry.expiresAt === undefined) return earlier === undefined ? {} : { expiresAt: earlier };
  return { expiresAt: Math.max(earlier ?? 0, expiry.expiresAt) };
}

function historyEventOf(event: DomainEvent): HistoryEvent {
  return { id: event.metadata.eventId, type: event.type, occurredAt: event.metadata.occurredAt, metadata: event.metadata, data: event.data };
}
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
