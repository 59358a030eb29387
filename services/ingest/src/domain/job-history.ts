import { setTimeout as sleep } from 'node:timers/promises';
import { type DomainEvent, EVENT_TYPES, type EventMetadata } from '@refinery/events';
import {
  type AttributeValue,
  type Condition,
  ConditionFailedError,
  type Item,
  type ItemKey,
  MAX_ITEM_BYTES,
  MAX_TRANSACT_BYTES,
  MAX_TRANSACT_WRITES,
  queryAll,
  type Table,
  type TransactWrite,
} from '@refinery/ports';
import { isMachineFault } from '@refinery/runtime';
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
    const [outcome] = await this.appendAll([event]);
    if (!outcome || 'error' in outcome) throw outcome?.error;
    return outcome.added;
  }

  /**
   * Appends a delivery's events (an SQS batch), answering for each, in the order given. The events of one job are
   * recorded together (store()): one read of its summary and one transaction for all of them rather than one of each
   * per event, so that recorders of a job race for its summary once per delivery instead of once per event, and a
   * refused transaction (billed all the same) is rarer. Each event still succeeds or fails on its own: an event already
   * recorded answers `added: false`, and what failed only that event answers its error and leaves the others recorded.
   */
  async appendAll(events: readonly DomainEvent[]): Promise<AppendOutcome[]> {
    const byJob = new Map<string, number[]>();
    events.forEach((event, index) => {
      const indexes = byJob.get(event.metadata.jobId);
      if (indexes) indexes.push(index);
      else byJob.set(event.metadata.jobId, [index]);
    });
    const outcomes: AppendOutcome[] = new Array(events.length);
    for (const indexes of byJob.values()) {
      const ofJob = await this.appendOfJob(indexes.map((index) => events[index] as DomainEvent));
      indexes.forEach((index, position) => {
        outcomes[index] = ofJob[position] as AppendOutcome;
      });
    }
    return outcomes;
  }

  /** appendAll for the events of one job. */
  private async appendOfJob(events: readonly DomainEvent[]): Promise<AppendOutcome[]> {
    const jobId = (events[0] as DomainEvent).metadata.jobId;
    try {
      if (await this.erasure?.isErased(jobId)) return events.map(() => ({ added: false }));
    } catch (error) {
      return events.map(() => ({ error }));
    }
    // The same event twice in one delivery (at-least-once delivery): recorded from its first copy, the others not new.
    const distinct = new Map<string, DomainEvent>();
    for (const event of events) if (!distinct.has(event.metadata.eventId)) distinct.set(event.metadata.eventId, event);
    const stored = await this.store(jobId, [...distinct.values()]);
    // Whether or not it was new: a retry after a crash between the writes must still make the later ones. In history
    // order, as the job went (a job.submitted.v1 and its job.completed.v1 in one delivery leave the job inactive).
    const inOrder = [...distinct.values()].sort((a, b) => compare(historyKey(a), historyKey(b)));
    for (const event of inOrder) {
      if ('error' in (stored.get(event) as AppendOutcome)) continue;
      try {
        await this.afterStored(event);
      } catch (error) {
        stored.set(event, { error });
      }
    }
    return events.map((event) => {
      const original = distinct.get(event.metadata.eventId) as DomainEvent;
      const outcome = stored.get(original) as AppendOutcome;
      return event === original || 'error' in outcome ? outcome : { added: false };
    });
  }

  /** What follows an event's recording: the jobs awaiting uploads, the active jobs, the tenant's quota, erasure's list. */
  private async afterStored(event: DomainEvent): Promise<void> {
    const { jobId, tenantId, occurredAt } = event.metadata;
    if (event.type === 'job.created.v1') await this.erasure?.rememberCreated(tenantId, jobId, occurredAt);
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
  }

  /**
   * Records events of one job (distinct ids), each with a marker keyed by its event id (its condition makes a
   * redelivered event a no-op, so nothing is counted twice) that names the event's place in history order, the event
   * itself at that place (`at#<occurredAt>#<pipeline order>#<eventId>`, so a page of the history is one query in
   * sort-key order), and the job's summary with the events applied (record()). The place is taken from the first
   * delivery: a producer that re-creates the same event (same derived id) later stamps a later occurredAt, and would
   * otherwise store it twice. A marker without its event (the previous version wrote them one after the other, and
   * could stop between) is repaired by the next delivery, which records the event where the marker says.
   */
  private async store(jobId: string, events: readonly DomainEvent[]): Promise<Map<DomainEvent, AppendOutcome>> {
    const pk = partitionOf(jobId);
    const outcomes = new Map<DomainEvent, AppendOutcome>();
    const recorded = await this.recordAll(events.map((event) => this.entryOf(event, historyKey(event), 'new')));
    for (const [{ event, expiry }, result] of recorded) {
      if (result !== false) {
        outcomes.set(event, result === true ? { added: true } : result);
        // A job created in this format is marked as such, so its first read need not look for events of the earlier one.
        if (result === true && event.type === 'job.created.v1') {
          try {
            await this.table.put({ pk, sk: FORMAT_SK, version: HISTORY_FORMAT, ...expiry });
          } catch (error) {
            outcomes.set(event, { error });
          }
        }
        continue;
      }
      try {
        await this.repair(event);
        outcomes.set(event, { added: false });
      } catch (error) {
        outcomes.set(event, { error });
      }
    }
    return outcomes;
  }

  /** An event whose marker was there: recorded where its marker says when its history item is missing. */
  private async repair(event: DomainEvent): Promise<void> {
    const pk = partitionOf(event.metadata.jobId);
    const marker = await this.table.get({ pk, sk: `event#${event.metadata.eventId}` });
    // Stored whole by the earlier format: the job's first read puts it in its place (upgradeEarlierFormat).
    if (!marker || isLegacyEvent(marker) || typeof marker.at !== 'string') return;
    if (await this.table.get({ pk, sk: marker.at })) return;
    const [[, result] = []] = await this.recordAll([this.entryOf(event, marker.at, 'repair')]);
    if (typeof result === 'object') throw result.error;
  }

  private entryOf(event: DomainEvent, at: string, mode: 'new' | 'repair'): Entry {
    const expiry = this.erasure ? { expiresAt: this.erasure.expiresAt(new Date(event.metadata.occurredAt)) } : {};
    return { event, history: historyEventOf(event), at, mode, expiry };
  }

  /**
   * Records entries of one job in as few transactions as TransactWriteItems' limits allow (record()), answering for
   * each: true (recorded), false (already there: `new`, its marker exists; `repair`, its history item does) or the
   * error that kept it out. What fails a transaction other than a condition, the race for the summary or a fault of the
   * machine (an item too large, say) is tried again one event at a time, so that it fails only the event at fault.
   */
  private async recordAll(entries: readonly Entry[]): Promise<Map<Entry, boolean | { readonly error: unknown }>> {
    const results = new Map<Entry, boolean | { readonly error: unknown }>();
    for (const part of transactionParts(entries)) {
      try {
        const recorded = await this.record(part);
        for (const entry of part) results.set(entry, recorded.has(entry));
      } catch (error) {
        // Neither the race for the summary nor a fault of the machine (a full data dir) is one event's fault.
        if (part.length === 1 || error instanceof SummaryContentionError || isMachineFault(error)) {
          for (const entry of part) results.set(entry, { error });
          continue;
        }
        for (const entry of part) {
          try {
            results.set(entry, (await this.record([entry])).has(entry));
          } catch (alone) {
            results.set(entry, { error: alone });
          }
        }
      }
    }
    return results;
  }

  /**
   * Records the entries (events of one job, distinct ids) and applies them to the summary in history order, in one
   * transaction; answers those recorded (the others were there already). The summary's `version` (distinct events) is
   * the compare-and-set of concurrent recorders: a recorder that loses reads again and retries. The item of each
   * event's chunk (or review row) is assumed new at first, and read once its condition says otherwise; events of the
   * same chunk or row write its item once. An entry whose marker (or, repairing, history item) exists is dropped and
   * the rest tried again.
   */
  private async record(entries: readonly Entry[]): Promise<Set<Entry>> {
    const { jobId } = (entries[0] as Entry).event.metadata;
    const pk = partitionOf(jobId);
    let pending = [...entries].sort((a, b) => compare(a.at, b.at));
    // Own items (chunk or review row) known to exist: read before applying, from then on.
    const existing = new Set<string>();
    for (let races = 0; pending.length > 0; ) {
      const stored = await this.table.get({ pk, sk: STATE_SK });
      if (!stored && (await this.hasHistory(jobId))) {
        await this.summarizeHistory(jobId);
        continue;
      }
      const own = new Map<string, OwnItem>();
      for (const entry of pending) {
        const key = ownKeyOf(pk, entry.history);
        if (!key || own.has(key.sk)) continue;
        // Read after the summary: a change to them since bumped the summary's version, and the transaction fails.
        const item = existing.has(key.sk) ? await this.table.get(key) : undefined;
        own.set(key.sk, {
          key,
          kind: key.sk.startsWith(CHUNK_PREFIX) ? 'chunk' : 'decision',
          stored: item,
          chunk: item?.chunk as unknown as CountedChunk | undefined,
          decision: item?.decision as unknown as RowDecision | undefined,
          changed: false,
          expiry: {},
        });
      }
      const summary = stored ? summaryOf(stored) : EMPTY_SUMMARY;
      let next = summary;
      let expiry: { expiresAt?: number } = {};
      const writes: TransactWrite[] = [];
      const roles: WriteRole[] = [];
      for (const entry of pending) {
        const { event, at, mode } = entry;
        const item = own.get(ownKeyOf(pk, entry.history)?.sk ?? '');
        const step = applyEvent(next, entry.history, at, { chunk: item?.chunk, decision: item?.decision });
        next = step.summary;
        if (item && (step.chunk || step.decision)) {
          if (step.chunk) item.chunk = step.chunk;
          if (step.decision) item.decision = step.decision;
          item.changed = true;
          item.expiry = laterOf(item.expiry, entry.expiry);
        }
        expiry = laterOf(expiry, entry.expiry);
        if (mode === 'new') {
          writes.push({
            kind: 'put',
            item: { pk, sk: `event#${event.metadata.eventId}`, at, ...entry.expiry },
            condition: { kind: 'itemNotExists' },
          });
          roles.push({ kind: 'marker', entry });
        }
        writes.push({
          kind: 'put',
          item: {
            pk,
            sk: at,
            type: event.type,
            occurredAt: event.metadata.occurredAt,
            metadata: { ...event.metadata },
            data: event.data as never,
            ...entry.expiry,
          },
          ...(mode === 'repair' ? { condition: { kind: 'itemNotExists' } as const } : {}),
        });
        roles.push({ kind: 'event', entry });
      }
      writes.push({
        kind: 'put',
        item: { pk, sk: STATE_SK, version: next.version, summary: asAttribute(next), ...laterExpiry(stored, expiry) },
        condition: stored ? { kind: 'attributeEquals', attribute: 'version', value: summary.version } : { kind: 'itemNotExists' },
      });
      roles.push({ kind: 'summary' });
      for (const item of own.values()) {
        const value: Record<string, AttributeValue> | undefined = !item.changed
          ? undefined
          : item.kind === 'chunk'
            ? { chunk: asAttribute(item.chunk) }
            : { decision: asAttribute(item.decision) };
        writes.push(ownItemWrite(item.key, item.stored, value, item.expiry));
        roles.push({ kind: 'own', sk: item.key.sk });
      }
      try {
        await this.table.transact(writes);
        return new Set(pending);
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        const role = error.index === undefined ? undefined : roles[error.index];
        if (!role) throw error;
        if (role.kind === 'marker' || (role.kind === 'event' && role.entry.mode === 'repair')) {
          // Already recorded: the others are still to be.
          pending = pending.filter((entry) => entry !== role.entry);
          continue;
        }
        if (role.kind === 'own' && !existing.has(role.sk)) {
          existing.add(role.sk);
          continue;
        }
        if (role.kind !== 'summary' && role.kind !== 'own') throw error;
        races += 1;
        if (races >= SUMMARY_ATTEMPTS) {
          throw new SummaryContentionError(
            `job ${jobId}: its summary changed under ${races} attempts in a row to record ${pending.map((entry) => `${entry.event.type} ${entry.event.metadata.eventId}`).join(', ')} (other events of the job arriving at once); not recorded, deliver again`,
          );
        }
        // At once the first time (one other recorder got there first); then spread out, the way a crowd needs.
        if (races > 1) await sleep(Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** races));
      }
    }
    return new Set();
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

/** What appending one event of a delivery came to: whether it was new to the history, or what kept it out. */
export type AppendOutcome = { readonly added: boolean } | { readonly error: unknown };

/** Recorders of the job kept changing its summary: no event's fault, so not tried again one by one (recordAll). */
class SummaryContentionError extends Error {
  override readonly name = 'SummaryContentionError';
}

/** An event to record at `at`: `new` (its marker written with it) or `repair` (its marker is there, its item is not). */
interface Entry {
  readonly event: DomainEvent;
  readonly history: HistoryEvent;
  readonly at: string;
  readonly mode: 'new' | 'repair';
  readonly expiry: { readonly expiresAt?: number };
}

/** A chunk's or review row's item while a transaction is put together: as read, and as the events leave it. */
interface OwnItem {
  readonly key: ItemKey;
  readonly kind: 'chunk' | 'decision';
  readonly stored: Item | undefined;
  chunk: CountedChunk | undefined;
  decision: RowDecision | undefined;
  changed: boolean;
  expiry: { expiresAt?: number };
}

/** What a write of record()'s transaction is, to tell what a failed condition means. */
type WriteRole =
  | { readonly kind: 'marker' | 'event'; readonly entry: Entry }
  | { readonly kind: 'summary' }
  | { readonly kind: 'own'; readonly sk: string };

/**
 * The entries split into transactions within TransactWriteItems' limits: at most MAX_TRANSACT_WRITES writes (each entry
 * up to three: marker, event, its chunk's or row's item; plus the summary) and MAX_TRANSACT_BYTES, counted as twice
 * each event's JSON (its history item, and a review row's item that repeats the pair decided) with the summary's
 * largest possible size kept aside. A delivery of ten events is one.
 */
function transactionParts(entries: readonly Entry[]): Entry[][] {
  const parts: Entry[][] = [];
  let part: Entry[] = [];
  let writes = 1;
  let bytes = MAX_ITEM_BYTES;
  for (const entry of entries) {
    const entryWrites = 3;
    const entryBytes = 2 * Buffer.byteLength(JSON.stringify(entry.history)) + 1024;
    if (part.length > 0 && (writes + entryWrites > MAX_TRANSACT_WRITES || bytes + entryBytes > MAX_TRANSACT_BYTES)) {
      parts.push(part);
      part = [];
      writes = 1;
      bytes = MAX_ITEM_BYTES;
    }
    part.push(entry);
    writes += entryWrites;
    bytes += entryBytes;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/** The item of the event's chunk or review row, when it has one. */
function ownKeyOf(pk: string, event: HistoryEvent): ItemKey | undefined {
  const chunkIndex = chunkIndexOf(event);
  if (chunkIndex !== undefined) return { pk, sk: chunkSk(chunkIndex) };
  const row = reviewRowOf(event);
  return row === undefined ? undefined : { pk, sk: decisionSk(row) };
}

function laterOf(a: { readonly expiresAt?: number }, b: { readonly expiresAt?: number }): { expiresAt?: number } {
  if (a.expiresAt === undefined) return { ...b };
  return b.expiresAt === undefined ? { ...a } : { expiresAt: Math.max(a.expiresAt, b.expiresAt) };
}

/** Sort keys compared as DynamoDB orders them (these are ASCII). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function chunkSk(index: number): string {
  return `${CHUNK_PREFIX}${String(index).padStart(9, '0')}`;
}

function decisionSk(row: number): string {
  return `${DECISION_PREFIX}${String(row).padStart(15, '0')}`;
}

/** The write of the events' chunk or review-row item: (re)written when it counts, otherwise only checked unchanged. */
function ownItemWrite(
  key: ItemKey,
  stored: Item | undefined,
  value: Record<string, AttributeValue> | undefined,
  expiry: { expiresAt?: number },
): TransactWrite {
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
