import { ConditionFailedError, queryAll, type Table } from '@refinery/ports';

/** One partition lists the jobs in the pipeline: few items (jobs running now), two writes per job. */
const PARTITION = 'active-jobs';

/** A job between job.submitted.v1 and its outcome. */
export interface ActiveJob {
  readonly jobId: string;
  readonly tenantId: string;
  /** When it was submitted (its job.submitted.v1). */
  readonly since: string;
  /** The stage.failed.v1 the sweeper last published for it, and when: not repeated until another stuck period passes. */
  readonly reported?: { readonly eventId: string; readonly at: string };
}

/** The jobs in the pipeline, kept beside the histories in the jobs table (pk `active-jobs`, sk the job id). */
export class ActiveJobs {
  constructor(private readonly table: Table) {}

  /** A job entered the pipeline. Repeats keep the first `since` (and any report). */
  async add(jobId: string, tenantId: string, since: string): Promise<void> {
    try {
      await this.table.put({ pk: PARTITION, sk: jobId, tenantId, since }, { condition: { kind: 'itemNotExists' } });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  /** A job left it (completed or failed); nothing when it was not listed. */
  async remove(jobId: string): Promise<void> {
    await this.table.delete({ pk: PARTITION, sk: jobId });
  }

  async *list(): AsyncIterable<ActiveJob> {
    for await (const item of queryAll(this.table, PARTITION)) {
      const reported = item.reported as { eventId?: unknown; at?: unknown } | undefined;
      yield {
        jobId: item.sk as string,
        tenantId: item.tenantId as string,
        since: item.since as string,
        ...(typeof reported?.eventId === 'string' && typeof reported.at === 'string'
          ? { reported: { eventId: reported.eventId, at: reported.at } }
          : {}),
      };
    }
  }

  /** Remembers a report of the job as stuck, unless the job has left the pipeline meanwhile. */
  async markReported(jobId: string, eventId: string, at: string): Promise<void> {
    try {
      await this.table.update({ pk: PARTITION, sk: jobId }, { set: { reported: { eventId, at } } }, { condition: { kind: 'itemExists' } });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
}
