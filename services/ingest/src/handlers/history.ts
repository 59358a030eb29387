import { createEventSubscriptionHandler, type SqsBatchHandler, type SubscriptionIdentity } from '@refinery/runtime';
import type { IngestDeps } from '../config';
import { JobHistory } from '../domain/job-history';

/** Appends the other services' job events to each job's history (idempotent by event id). */
export function createHistoryHandler(deps: IngestDeps, subscription: SubscriptionIdentity): SqsBatchHandler {
  const history = new JobHistory(deps.jobs);
  return createEventSubscriptionHandler({
    ...subscription,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const added = await history.append(event);
      logger.debug({ type: event.type, eventId: event.metadata.eventId, added }, 'history event');
    },
  });
}
