import type { JobViewData } from '@refinery/events';
import { type AttributeValue, ConditionFailedError, type Table } from '@refinery/ports';

export type JobView = JobViewData;

/** How many jobs a `sync` answers with: the tenant's most recent. */
export const RECENT_JOBS = 50;

const tenantPk = (tenantId: string): string => `tenant#${tenantId}`;
const jobSk = (jobId: string): string => `job#${jobId}`;
const MAX_ATTEMPTS = 8;

/**
 * The latest view of each job notifier heard of (job.progressed.v1), per tenant, so a client that (re)connects gets
 * the current state at once. Snapshots arrive out of order and twice: a view replaces the stored one only when its
 * version is higher, by compare-and-swap on the stored version (there is no "less than" condition).
 */
export class JobViewStore {
  constructor(private readonly table: Table) {}

  /** Keeps the view unless the stored one is as new or newer: 'stored' or 'stale'. */
  async keep(tenantId: string, view: JobView): Promise<'stored' | 'stale'> {
    const key = { pk: tenantPk(tenantId), sk: jobSk(view.jobId) };
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.table.get(key);
      const currentVersion = typeof current?.version === 'number' ? current.version : undefined;
      if (currentVersion !== undefined && currentVersion >= view.version) return 'stale';
      try {
        await this.table.put(
          { ...key, jobId: view.jobId, version: view.version, view: view as unknown as AttributeValue },
          {
            condition:
              currentVersion === undefined
                ? { kind: 'attributeNotExists', attribute: 'version' }
                : { kind: 'attributeEquals', attribute: 'version', value: currentVersion },
          },
        );
        return 'stored';
      } catch (error) {
        // Another snapshot of the job was stored between the read and the write: read again and compare.
        if (!(error instanceof ConditionFailedError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  async get(tenantId: string, jobId: string): Promise<JobView | undefined> {
    const item = await this.table.get({ pk: tenantPk(tenantId), sk: jobSk(jobId) });
    return item ? (item.view as unknown as JobView) : undefined;
  }

  /** The tenant's most recent jobs, newest first (job ids are ULIDs, so their order is their creation order). */
  async recent(tenantId: string, limit = RECENT_JOBS): Promise<JobView[]> {
    const page = await this.table.query(tenantPk(tenantId), { beginsWith: 'job#', reverse: true, limit });
    return page.items.map((item) => item.view as unknown as JobView);
  }
}
