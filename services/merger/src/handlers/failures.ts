import { createEvent, deriveEventId, jobFailedV1, toPublishEntry } from '@refinery/events';
import { createEventSubscriptionHandler, type SubscriptionBinding } from '@refinery/runtime';
import type { MergerDeps } from '../config';
import { merger } from '../definition';
import { Ledger } from '../domain/ledger';

/**
 * stage.failed.v1 -> the job ends failed with the first failure's reason and the rows it affected. A job that has
 * already completed stays completed; later failures of the same job are in its history but do not repeat job.failed.
 */
export function createFailuresHandler(deps: MergerDeps): SubscriptionBinding {
  const ledger = new Ledger(deps.ledger, deps.clock, deps.config.retentionDays);
  return createEventSubscriptionHandler({
    subscription: merger.subscriptions.failures,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const { jobId } = event.metadata;
      const outcome = await ledger.recordFailed(jobId, event.data.reason, event.metadata.eventId);
      if (outcome.status !== 'failed' || outcome.causeEventId !== event.metadata.eventId) {
        logger.info({ outcome: outcome.status }, 'job already has an outcome; failure recorded in its history only');
        return;
      }
      const { service, subscription, eventType, eventId, chunk, rows } = event.data;
      const failed = createEvent(jobFailedV1, {
        service: 'merger',
        metadata: {
          eventId: deriveEventId(jobId, jobFailedV1.type),
          tenantId: event.metadata.tenantId,
          jobId,
          correlationId: event.metadata.correlationId,
          causationId: event.metadata.eventId,
          occurredAt: deps.clock.now().toISOString(),
        },
        data: {
          reason: event.data.reason,
          stage: { service, subscription, eventType, eventId },
          ...(chunk ? { chunk } : {}),
          ...(rows ? { rows } : {}),
        },
      });
      await deps.publisher.publish([toPublishEntry(failed)]);
      logger.warn({ reason: event.data.reason }, 'job failed');
    },
  });
}
