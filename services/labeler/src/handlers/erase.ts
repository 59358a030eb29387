import { jobDataErasedEntry, jobObjectPrefix } from '@refinery/events';
import { createEventSubscriptionHandler, type SubscriptionBinding } from '@refinery/runtime';
import type { LabelerDeps } from '../config';
import { labeler } from '../definition';

/** job-erasure.requested.v1 -> every object of the job in the chunks bucket deleted: the job's labeled chunks. */
export function createEraseHandler(deps: LabelerDeps): SubscriptionBinding {
  return createEventSubscriptionHandler({
    subscription: labeler.subscriptions.erasure,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const { tenantId, jobId } = event.metadata;
      const objects = await deps.objects.deletePrefix(deps.config.chunksBucket, jobObjectPrefix(tenantId, jobId));
      await deps.publisher.publish([jobDataErasedEntry('labeler', event, { objects, items: 0 }, deps.clock.now())]);
      logger.info({ objects }, "job's chunks erased");
    },
  });
}
