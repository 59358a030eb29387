// Jobs waiting for their presigned upload: listed from job.created.v1 (upload `presigned`) until job.submitted.v1 or
// their outcome, so that a job whose file never arrives does not stay `accepted` forever. The sweep schedule fails
// those still waiting uploadExpiryMinutes after their creation (stage.failed.v1; the merger ends them failed and their
// owner hears of it), which also frees their place in the tenant's jobs in flight.
import { type Clock, type EventPublisher, queryAll, type Table } from '@refinery/ports';
import { type Logger, stageFailureEntry } from '@refinery/runtime';
import type { CurrentJob } from './job-history';

/** One partition lists them, beside the jobs in the pipeline (`active-jobs`). */
const PARTITION = 'awaiting-upload';

/** Who fails an expired job: the same sweep schedule that fails stuck jobs. */
const EXPIRY = { service: 'ingest', subscription: 'sweep' } as const;

export class AwaitingUploads {
  constructor(private readonly table: Table) {}

  /** A job now waits for its upload (repeats change nothing). */
  async add(jobId: string, tenantId: string, since: string): Promise<void> {
    await this.table.put({ pk: PARTITION, sk: jobId, tenantId, since });
  }

  /** Its upload arrived, or it ended; nothing when it was not listed. */
  async remove(jobId: string): Promise<void> {
    await this.table.delete({ pk: PARTITION, sk: jobId });
  }

  async *list(): AsyncIterable<{ jobId: string; tenantId: string; since: string }> {
    for await (const item of queryAll(this.table, PARTITION)) {
      yield { jobId: item.sk, tenantId: item.tenantId as string, since: item.since as string };
    }
  }
}

export interface UploadExpiryDeps {
  readonly table: Table;
  readonly clock: Clock;
  readonly publisher: EventPublisher;
  readonly logger: Logger;
  /** The job as its summary shows it (JobHistory.current). */
  readonly currentJob: (jobId: string) => Promise<CurrentJob | undefined>;
}

/**
 * Fails the jobs whose upload has not arrived `expiryMs` after their creation. Repeats publish the same event id (it
 * derives from the job's job.created.v1), so a sweep that runs again before the job has ended changes nothing.
 */
export async function expireAwaitingUploads(deps: UploadExpiryDeps, expiryMs: number): Promise<{ expired: number }> {
  const awaiting = new AwaitingUploads(deps.table);
  const now = deps.clock.now().getTime();
  let expired = 0;
  for await (const job of awaiting.list()) {
    const waitedMs = now - Date.parse(job.since);
    if (waitedMs < expiryMs) continue;
    const current = await deps.currentJob(job.jobId);
    const state = current?.state;
    const created = current?.created;
    if (!state || !created || state.submitted || state.status === 'completed' || state.status === 'failed') {
      await awaiting.remove(job.jobId); // its upload arrived or it ended: a history write raced the listing
      continue;
    }
    const hours = Math.round((expiryMs / 3_600_000) * 10) / 10;
    const entry = stageFailureEntry(
      EXPIRY,
      { metadata: created.metadata, eventType: created.type },
      {
        reason: `its upload never arrived: no file was uploaded within ${hours} hours of the job's creation (at ${job.since}); create a new job to try again`,
        retryable: false,
        attempts: 1,
      },
    );
    await deps.publisher.publish([entry]);
    deps.logger.warn({ jobId: job.jobId, tenantId: job.tenantId, waitedMs }, 'job failed: its upload never arrived');
    expired += 1;
  }
  return { expired };
}
