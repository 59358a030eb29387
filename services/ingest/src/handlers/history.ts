import { createEventSubscriptionHandler, type SubscriptionBinding } from '@refinery/runtime';
import type { IngestDeps } from '../config';
import { ingest } from '../definition';
import type { AppendOutcome } from '../domain/job-history';
import { Jobs } from '../domain/jobs';

/** A job ended: how (`outcome`), how long after its creation, and how many rows it had. */
async function recordJobEnded(
  deps: IngestDeps,
  jobs: Jobs,
  event: { readonly type: 'job.completed.v1' | 'job.failed.v1'; readonly metadata: { readonly jobId: string; readonly occurredAt: string } },
): Promise<void> {
  const outcome = event.type === 'job.completed.v1' ? 'completed' : 'failed';
  deps.metrics.record('jobsEnded', 1, { outcome });
  const current = await jobs.history.current(event.metadata.jobId);
  if (!current) return;
  const { createdAt, rows } = current.state;
  deps.metrics.record('jobDuration', Math.max(0, Date.parse(event.metadata.occurredAt) - Date.parse(createdAt)) / 1000, { outcome });
  deps.metrics.record('jobRows', rows.total, { outcome });
}

/**
 * Appends the other services' job events to each job's history (idempotent by event id), a batch's events of one job
 * together (one transaction: JobHistory.appendAll), then, once per job of the batch, publishes the job's progress
 * (throttled: see domain/job-progress.ts). An event that could not be recorded fails alone.
 */
export function createHistoryHandler(deps: IngestDeps): SubscriptionBinding {
  const jobs = new Jobs(deps);
  return createEventSubscriptionHandler({
    subscription: ingest.subscriptions.history,
    publisher: deps.publisher,
    logger: deps.logger,
    beforeBatch: async (messages): Promise<ReadonlyMap<string, AppendOutcome>> => {
      const outcomes = await jobs.history.appendAll(messages.map((entry) => entry.message));
      return new Map(messages.map((entry, index) => [entry.messageId, outcomes[index] as AppendOutcome]));
    },
    handle: async (event, { logger, messageId, batch }) => {
      const outcome = batch.get(messageId);
      if (!outcome) throw new Error(`message ${messageId} (${event.type} ${event.metadata.eventId}) was not appended with its batch`);
      if ('error' in outcome) throw outcome.error;
      const { added } = outcome;
      logger.debug({ type: event.type, eventId: event.metadata.eventId, added }, 'history event');
      // Counted here, where a job's end is recorded exactly once (a redelivered or repeated outcome adds nothing).
      if (added && (event.type === 'job.completed.v1' || event.type === 'job.failed.v1')) await recordJobEnded(deps, jobs, event);
    },
    afterBatch: (handled, { logger }) =>
      jobs.progress.publishForBatch(
        handled.map((entry) => ({ messageId: entry.messageId, tenantId: entry.message.metadata.tenantId, jobId: entry.message.metadata.jobId })),
        logger,
      ),
  });
}
