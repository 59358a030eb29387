import { createEventSubscriptionHandler, type SubscriptionBinding } from '@refinery/runtime';
import type { IngestDeps } from '../config';
import { ingest } from '../definition';
import { Jobs } from '../domain/jobs';

/**
 * Appends the other services' job events to each job's history (idempotent by event id), then, once per job of the
 * batch, publishes the job's progress (throttled: see domain/job-progress.ts).
 */
export function createHistoryHandler(deps: IngestDeps): SubscriptionBinding {
  const jobs = new Jobs(deps);
  return createEventSubscriptionHandler({
    subscription: ingest.subscriptions.history,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const added = await jobs.history.append(event);
      logger.debug({ type: event.type, eventId: event.metadata.eventId, added }, 'history event');
    },
    afterBatch: (handled, { logger }) =>
      jobs.progress.publishForBatch(
        handled.map((entry) => ({ messageId: entry.messageId, tenantId: entry.message.metadata.tenantId, jobId: entry.message.metadata.jobId })),
        logger,
      ),
  });
}
