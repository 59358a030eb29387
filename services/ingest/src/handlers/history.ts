import { createEventSubscriptionHandler, type Logger, type SqsBatchHandler, type SubscriptionIdentity } from '@refinery/runtime';
import type { IngestDeps } from '../config';
import type { JobProgress } from '../domain/job-progress';
import { Jobs } from '../domain/jobs';

/**
 * Appends the other services' job events to each job's history (idempotent by event id), then, once per job of the
 * batch, publishes the job's progress (throttled: see domain/job-progress.ts).
 */
export function createHistoryHandler(deps: IngestDeps, subscription: SubscriptionIdentity): SqsBatchHandler {
  const jobs = new Jobs(deps);
  return createEventSubscriptionHandler({
    ...subscription,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const added = await jobs.history.append(event);
      logger.debug({ type: event.type, eventId: event.metadata.eventId, added }, 'history event');
    },
    afterBatch: (handled, { logger }) =>
      publishProgressOfBatch(
        jobs.progress,
        handled.map((entry) => ({ messageId: entry.messageId, tenantId: entry.message.metadata.tenantId, jobId: entry.message.metadata.jobId })),
        logger,
      ),
  });
}

/** A handled message of a batch, and the job it recorded something for. */
export interface JobMessage {
  readonly messageId: string;
  readonly tenantId: string;
  readonly jobId: string;
}

/**
 * Publishes the progress of every job of a batch, the jobs side by side (each may wait for its slot), and returns the
 * messages of the jobs whose publishing failed: they come back, and the retry publishes.
 */
export async function publishProgressOfBatch(progress: JobProgress, messages: readonly JobMessage[], logger: Logger): Promise<string[]> {
  const byJob = new Map<string, { tenantId: string; jobId: string; messageIds: string[] }>();
  for (const message of messages) {
    const key = `${message.tenantId}\u0000${message.jobId}`;
    const entry = byJob.get(key) ?? { tenantId: message.tenantId, jobId: message.jobId, messageIds: [] };
    entry.messageIds.push(message.messageId);
    byJob.set(key, entry);
  }
  const failed: string[] = [];
  await Promise.all(
    [...byJob.values()].map(async ({ tenantId, jobId, messageIds }) => {
      try {
        const outcome = await progress.publishLatest(tenantId, jobId);
        logger.debug({ jobId, tenantId, outcome }, 'job progress');
      } catch (error) {
        logger.error({ err: error, jobId, tenantId }, 'could not publish the job\'s progress; its messages will be retried');
        failed.push(...messageIds);
      }
    }),
  );
  return failed;
}
