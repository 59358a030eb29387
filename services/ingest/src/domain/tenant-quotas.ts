// Per-tenant quotas on creating jobs, kept beside the histories in the jobs table:
//
//   quota#<tenant> / in-flight          { jobs: { <jobId>: <admitted at> }, version }   (jobs created and not yet ended)
//   quota#<tenant> / created#<minute>   { count, expiresAt }                            (jobs created in that clock minute)
//
// Correct under concurrency with conditional writes alone (no transaction needed; the Table port has no "less than"
// condition): each write is a compare-and-set on what was read (the in-flight item's `version`, the minute's `count`),
// so two requests racing for the last slot cannot both win; the loser reads again. A job leaves the in-flight set when
// its history records job.completed.v1 or job.failed.v1 (job-history.ts); a job admitted by a request that died before
// creating it is dropped from a full set once it is older than ABANDONED_ADMISSION_MS.
import { ConditionFailedError, type Item, type Table } from '@refinery/ports';

/** Compare-and-set attempts before a request gives up on a contended quota item (and is told to retry). */
const CAS_ATTEMPTS = 8;
/** An admitted job with no history after this long was never created (its request died): its slot is free again. */
export const ABANDONED_ADMISSION_MS = 5 * 60_000;
/** What a refusal of the in-flight quota suggests waiting: jobs end in minutes, not seconds. */
const IN_FLIGHT_RETRY_AFTER_SECONDS = 30;

export type QuotaName = 'jobs-in-flight' | 'jobs-per-minute' | 'contention';

export class QuotaExceededError extends Error {
  override readonly name = 'QuotaExceededError';
  constructor(
    readonly quota: QuotaName,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export interface TenantQuotaLimits {
  readonly maxJobsInFlight: number;
  readonly maxJobsPerMinute: number;
}

export interface TenantQuotasDeps {
  readonly table: Table;
  readonly limits: TenantQuotaLimits;
  /** Whether a job has ended (completed or failed), or `missing` when it has no history. */
  readonly jobStatus: (jobId: string) => Promise<'running' | 'ended' | 'missing'>;
}

const inFlightKey = (tenantId: string) => ({ pk: `quota#${tenantId}`, sk: 'in-flight' });
const minuteKey = (tenantId: string, minute: number) => ({ pk: `quota#${tenantId}`, sk: `created#${minute}` });

export class TenantQuotas {
  constructor(private readonly deps: TenantQuotasDeps) {}

  /**
   * Admits a new job of the tenant, or throws QuotaExceededError (with how long to wait) when the tenant has
   * maxJobsInFlight jobs that have not ended, or created maxJobsPerMinute jobs in this clock minute. Admitting the same
   * job again (a retried request) takes no second slot. `at`: the job's creation time.
   */
  async admit(tenantId: string, jobId: string, at: Date): Promise<void> {
    const added = await this.takeInFlight(tenantId, jobId, at);
    if (!added) return;
    try {
      await this.countCreation(tenantId, at);
    } catch (error) {
      await releaseInFlight(this.deps.table, tenantId, jobId);
      throw error;
    }
  }

  /** Gives the job's in-flight slot back (its creation failed; an ended job's history does it by itself). */
  async release(tenantId: string, jobId: string): Promise<void> {
    await releaseInFlight(this.deps.table, tenantId, jobId);
  }

  /** Whether the job was added (false: it held a slot already). */
  private async takeInFlight(tenantId: string, jobId: string, at: Date): Promise<boolean> {
    const key = inFlightKey(tenantId);
    const limit = this.deps.limits.maxJobsInFlight;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt += 1) {
      const item = await this.deps.table.get(key);
      const jobs: Record<string, string> = { ...((item?.jobs as Record<string, string> | undefined) ?? {}) };
      if (jobs[jobId] !== undefined) return false;
      if (Object.keys(jobs).length >= limit) {
        for (const [held, admittedAt] of Object.entries(jobs)) if (await this.isGone(held, admittedAt, at)) delete jobs[held];
      }
      if (Object.keys(jobs).length >= limit) {
        throw new QuotaExceededError(
          'jobs-in-flight',
          `this tenant has ${Object.keys(jobs).length} jobs in progress, the most it may have (maxJobsInFlight ${limit}); ` +
            'wait for one to complete or fail, then try again',
          IN_FLIGHT_RETRY_AFTER_SECONDS,
        );
      }
      jobs[jobId] = at.toISOString();
      if (await compareAndSet(this.deps.table, { ...key, jobs, version: versionOf(item) + 1 }, item && versionCondition(item))) return true;
    }
    throw contention();
  }

  private async countCreation(tenantId: string, at: Date): Promise<void> {
    const now = at.getTime();
    const minute = Math.floor(now / 60_000);
    const key = minuteKey(tenantId, minute);
    const limit = this.deps.limits.maxJobsPerMinute;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt += 1) {
      const item = await this.deps.table.get(key);
      const count = typeof item?.count === 'number' ? item.count : 0;
      if (count >= limit) {
        throw new QuotaExceededError(
          'jobs-per-minute',
          `this tenant created ${count} jobs this minute, the most it may (maxJobsPerMinute ${limit}); try again in a minute`,
          Math.max(1, Math.ceil(((minute + 1) * 60_000 - now) / 1000)),
        );
      }
      // The table's TTL removes the counters of past minutes (a minute's counter is useless two minutes on).
      const next = { ...key, count: count + 1, expiresAt: (minute + 2) * 60 };
      if (await compareAndSet(this.deps.table, next, item && { kind: 'attributeEquals', attribute: 'count', value: count })) return;
    }
    throw contention();
  }

  private async isGone(jobId: string, admittedAt: string, now: Date): Promise<boolean> {
    const status = await this.deps.jobStatus(jobId);
    if (status === 'ended') return true;
    return status === 'missing' && now.getTime() - Date.parse(admittedAt) >= ABANDONED_ADMISSION_MS;
  }
}

/** Takes the job out of the tenant's in-flight set; nothing when it is not there. */
export async function releaseInFlight(table: Table, tenantId: string, jobId: string): Promise<void> {
  const key = inFlightKey(tenantId);
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt += 1) {
    const item = await table.get(key);
    const jobs: Record<string, string> = { ...((item?.jobs as Record<string, string> | undefined) ?? {}) };
    if (!item || jobs[jobId] === undefined) return;
    delete jobs[jobId];
    if (await compareAndSet(table, { ...key, jobs, version: versionOf(item) + 1 }, versionCondition(item))) return;
  }
  // Left in the set: the next admission that finds the set full sees the job ended and drops it.
}

function versionOf(item: Item | undefined): number {
  return typeof item?.version === 'number' ? item.version : 0;
}

function versionCondition(item: Item) {
  return { kind: 'attributeEquals', attribute: 'version', value: versionOf(item) } as const;
}

/** Writes `next` when the item is still as read (`condition`; none: the item must not exist yet). */
async function compareAndSet(
  table: Table,
  next: Parameters<Table['put']>[0],
  condition: NonNullable<Parameters<Table['put']>[1]>['condition'] | undefined,
): Promise<boolean> {
  try {
    await table.put(next, { condition: condition ?? { kind: 'itemNotExists' } });
    return true;
  } catch (error) {
    if (error instanceof ConditionFailedError) return false;
    throw error;
  }
}

function contention(): QuotaExceededError {
  return new QuotaExceededError('contention', 'too many jobs of this tenant are being created at this moment; try again in a second', 1);
}
