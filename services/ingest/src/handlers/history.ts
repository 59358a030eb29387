import { createEventSubscriptionHandler, type SqsBatchHandler } from '@refinery/runtime';
import type { IngestDeps } from '../config';
import { JobHistory } from '../domain/job-history';

/** Appends the other services' job events to each job's history (idempotent by event id). */
export function createHistoryHandler(deps: IngestDeps, settings: { maxReceiveCount: number }): SqsBatchHandler {
  const history = new JobHistory(deps.jobs);
  return createEventSubscriptionHandler({
    service: 'ingest',
    subscription: 'history',
    maxReceiveCount: settings.maxReceiveCount,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const added = await history.append(event);
      logger.debug({ type: event.type, eventId: event.metadata.eventId, added }, 'history event');
    },
  });
}
