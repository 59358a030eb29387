import { type DomainEvent, EVENT_TYPES, type EventMetadata } from '@refinery/events';
import { ConditionFailedError, queryAll, type Table } from '@refinery/ports';
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
 * The event store of jobs: each job's history is a partition, one item per event keyed by its eventId, so appending
 * the same event twice (at-least-once delivery) stores it once. The history, not a status column, is the truth:
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

  private async store(event: DomainEvent): Promise<boolean> {
    try {
      await this.table.put(
        {
          pk: partitionOf(event.metadata.jobId),
          sk: `event#${event.metadata.eventId}`,
          type: event.type,
          occurredAt: event.metadata.occurredAt,
          metadata: { ...event.metadata },
          data: event.data as never,
          ...(this.erasure ? { expiresAt: this.erasure.expiresAt(new Date(event.metadata.occurredAt)) } : {}),
        },
        { condition: { kind: 'itemNotExists' } },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  /** The job's events, oldest first (ties broken by pipeline order); empty when the job is unknown. */
  async load(jobId: string): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    for await (const item of queryAll(this.table, partitionOf(jobId), { beginsWith: 'event#' })) {
      const metadata = item.metadata as unknown as EventMetadata;
      events.push({ id: metadata.eventId, type: item.type as string, occurredAt: item.occurredAt as string, metadata, data: item.data });
    }
    return events.sort(
      (a, b) =>
        Date.parse(a.occurredAt) - Date.parse(b.occurredAt) ||
        (PIPELINE_ORDER.get(a.type) ?? 99) - (PIPELINE_ORDER.get(b.type) ?? 99) ||
        a.id.localeCompare(b.id),
    );
  }
}

function partitionOf(jobId: string): string {
  return `job#${jobId}`;
}
