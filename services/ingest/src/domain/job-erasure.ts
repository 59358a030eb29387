import {
  createEvent,
  type DomainEvent,
  deriveEventId,
  JOB_DATA_HOLDERS,
  type JobDataHolder,
  jobErasureCompletedV1,
  jobErasureRequestedV1,
  toPublishEntry,
} from '@refinery/events';
import { type Clock, ConditionFailedError, type EventPublisher, type Item, type ItemKey, type Table } from '@refinery/ports';

// Erasure of a job's data (its owner's `DELETE /jobs/{id}`, or the retention period's end). ingest keeps one record per
// erasure, outside the job's own partition (which the erasure deletes), holding nothing personal:
//
//   { pk: 'erasure#<jobId>', sk: 'erasure', tenantId, reason, requestedAt, erased: <set of services>, completedAt?, expiresAt }
//
// and publishes job-erasure.requested.v1; every service that holds data of the job (JOB_DATA_HOLDERS, ingest among
// them) deletes its own and answers job-data.erased.v1, which ingest adds to `erased`; when every holder has answered,
// the erasure is complete (job-erasure.completed.v1). The record answers `GET /jobs/{id}/erasure` and expires with the
// retention period, like any job item.
//
// Jobs past the retention period are found by day: job.created.v1 writes a retention item per job in the partition of
// its creation day (`retention#<YYYY-MM-DD>`, sk the job id), and the retention schedule walks the days that have
// expired from a cursor, requesting each job's erasure: no scan of the table, however many jobs it holds.

export type ErasureReason = 'request' | 'retention';

export interface ErasureStatus {
  readonly jobId: string;
  readonly tenantId: string;
  readonly status: 'erasing' | 'erased';
  readonly reason: ErasureReason;
  readonly requestedAt: string;
  readonly completedAt: string | null;
  /** Each service that holds job data: whether it has erased its part yet. */
  readonly services: Readonly<Record<JobDataHolder, 'pending' | 'erased'>>;
}

const DAY_MS = 86_400_000;
const RETENTION_CURSOR: ItemKey = { pk: 'retention', sk: 'cursor' };

const erasureKey = (jobId: string): ItemKey => ({ pk: `erasure#${jobId}`, sk: 'erasure' });
const retentionDayPk = (day: string): string => `retention#${day}`;
const dayOf = (time: Date): string => time.toISOString().slice(0, 10);

export interface JobErasureDeps {
  readonly table: Table;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly retentionDays: number;
}

export class JobErasure {
  constructor(private readonly deps: JobErasureDeps) {}

  /** Epoch seconds one retention period from now: the `expiresAt` (DynamoDB TTL) of ingest's job items. */
  expiresAt(from: Date = this.deps.clock.now()): number {
    return Math.floor(from.getTime() / 1000) + this.deps.retentionDays * 86_400;
  }

  /** The erasure of a job, as its tenant may see it (another tenant's is as good as missing). */
  async statusFor(tenantId: string, jobId: string): Promise<ErasureStatus | undefined> {
    const item = await this.deps.table.get(erasureKey(jobId));
    return item && item.tenantId === tenantId ? toStatus(jobId, item) : undefined;
  }

  /** Whether the job's erasure was requested (its late events and uploads are then dropped, not recorded). */
  async isErased(jobId: string): Promise<boolean> {
    return (await this.deps.table.get(erasureKey(jobId))) !== undefined;
  }

  /**
   * Records the erasure (once: a repeat keeps the first reason and time) and publishes job-erasure.requested.v1 with an
   * id derived from the job, so a repeated request republishes the same event. Returns the erasure as it stands.
   */
  async request(tenantId: string, jobId: string, reason: ErasureReason, correlationId: string): Promise<ErasureStatus> {
    const now = this.deps.clock.now();
    const record: Item = { ...erasureKey(jobId), tenantId, reason, requestedAt: now.toISOString(), expiresAt: this.expiresAt(now) };
    try {
      await this.deps.table.put(record, { condition: { kind: 'itemNotExists' } });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
    const stored = (await this.deps.table.get(erasureKey(jobId))) ?? record;
    const requestedAt = String(stored.requestedAt);
    const event = createEvent(jobErasureRequestedV1, {
      service: 'ingest',
      metadata: {
        eventId: deriveEventId(jobId, jobErasureRequestedV1.type),
        tenantId,
        jobId,
        correlationId,
        causationId: correlationId,
        occurredAt: requestedAt,
      },
      data: { reason: stored.reason as ErasureReason, requestedAt },
    });
    await this.deps.publisher.publish([toPublishEntry(event)]);
    return toStatus(jobId, stored);
  }

  /**
   * A holder answered (job-data.erased.v1): adds it to the record; when every holder has, publishes
   * job-erasure.completed.v1 (derived id: a repeat is the same event) and marks the record complete.
   */
  async recordErased(event: DomainEvent, service: JobDataHolder): Promise<'pending' | 'completed' | 'unknown'> {
    const { jobId, tenantId } = event.metadata;
    let updated: Item;
    try {
      updated = await this.deps.table.update(erasureKey(jobId), { addToSet: { erased: [service] } }, { condition: { kind: 'itemExists' } });
    } catch (error) {
      if (error instanceof ConditionFailedError) return 'unknown';
      throw error;
    }
    const status = toStatus(jobId, updated);
    if (Object.values(status.services).includes('pending')) return 'pending';
    if (typeof updated.completedAt === 'string') return 'completed';
    const completedAt = this.deps.clock.now().toISOString();
    const completed = createEvent(jobErasureCompletedV1, {
      service: 'ingest',
      metadata: {
        eventId: deriveEventId(jobId, jobErasureCompletedV1.type),
        tenantId,
        jobId,
        correlationId: event.metadata.correlationId,
        causationId: event.metadata.eventId,
        occurredAt: completedAt,
      },
      data: { reason: status.reason, requestedAt: status.requestedAt, services: [...JOB_DATA_HOLDERS] },
    });
    // Published before it is recorded: a failure in between republishes the same event id on the retry.
    await this.deps.publisher.publish([toPublishEntry(completed)]);
    await this.deps.table
      .update(erasureKey(jobId), { set: { completedAt } }, { condition: { kind: 'attributeNotExists', attribute: 'completedAt' } })
      .catch((error: unknown) => {
        if (!(error instanceof ConditionFailedError)) throw error;
      });
    return 'completed';
  }

  /** A job was created: remember it under its creation day, for the retention schedule. */
  async rememberCreated(tenantId: string, jobId: string, createdAt: string): Promise<void> {
    const created = new Date(createdAt);
    await this.deps.table.put({ pk: retentionDayPk(dayOf(created)), sk: jobId, tenantId, createdAt, expiresAt: this.expiresAt(created) + 86_400 });
    // The first day the schedule has to look at; later days follow from it.
    await this.deps.table.put({ ...RETENTION_CURSOR, day: dayOf(created) }, { condition: { kind: 'itemNotExists' } }).catch((error: unknown) => {
      if (!(error instanceof ConditionFailedError)) throw error;
    });
  }

  /** Forgets the job's retention item (its erasure is under way). */
  async forgetCreated(jobId: string, createdAt: string): Promise<void> {
    await this.deps.table.delete({ pk: retentionDayPk(dayOf(new Date(createdAt))), sk: jobId });
  }

  /**
   * Requests the erasure of every job created more than the retention period ago, at most `limit` of them (the rest on
   * the next run). Returns how many it requested. Idempotent: a job is requested again only if its item survived.
   */
  async requestExpired(limit: number): Promise<number> {
    const cutoff = new Date(this.deps.clock.now().getTime() - this.deps.retentionDays * DAY_MS);
    const cursor = await this.deps.table.get(RETENTION_CURSOR);
    if (typeof cursor?.day !== 'string') return 0;
    let requested = 0;
    for (let day = cursor.day; day <= dayOf(cutoff); day = dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS))) {
      const page = await this.deps.table.query(retentionDayPk(day), { limit: limit - requested });
      for (const item of page.items) {
        const createdAt = String(item.createdAt);
        // The cutoff's own day: only the jobs created before the cutoff time.
        if (Date.parse(createdAt) > cutoff.getTime()) continue;
        await this.request(String(item.tenantId), String(item.sk), 'retention', `retention-${day}`);
        await this.deps.table.delete({ pk: item.pk, sk: item.sk });
        requested += 1;
      }
      if (requested >= limit) return requested;
      // A day wholly past the cutoff is done: the next run starts after it.
      if (day < dayOf(cutoff)) await this.deps.table.put({ ...RETENTION_CURSOR, day: dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS)) });
    }
    return requested;
  }
}

function toStatus(jobId: string, item: Item): ErasureStatus {
  const erased = new Set(Array.isArray(item.erased) ? (item.erased as string[]) : []);
  const services = Object.fromEntries(JOB_DATA_HOLDERS.map((service) => [service, erased.has(service) ? 'erased' : 'pending'])) as Record<
    JobDataHolder,
    'pending' | 'erased'
  >;
  const complete = JOB_DATA_HOLDERS.every((service) => erased.has(service));
  return {
    jobId,
    tenantId: String(item.tenantId),
    status: complete ? 'erased' : 'erasing',
    reason: item.reason as ErasureReason,
    requestedAt: String(item.requestedAt),
    completedAt: typeof item.completedAt === 'string' ? item.completedAt : null,
    services,
  };
}
