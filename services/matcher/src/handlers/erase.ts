import { jobDataErasedEntry, jobObjectPrefix } from '@refinery/events';
import { createEventSubscriptionHandler, type SubscriptionBinding } from '@refinery/runtime';
import type { MatcherDeps } from '../config';
import { matcher } from '../definition';

/** job-erasure.requested.v1 -> every object of the job in the chunks bucket deleted: the job's matched chunks, the provider answers kept beside them and its linkage model. */
export function createEraseHandler(deps: MatcherDeps): SubscriptionBinding {
  return createEventSubscriptionHandler({
    subscription: matcher.subscriptions.erasure,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const { tenantId, jobId } = event.metadata;
      const objects = await deps.objects.deletePrefix(deps.config.chunksBucket, jobObjectPrefix(tenantId, jobId));
      await deps.publisher.publish([jobDataErasedEntry('matcher', event, { objects, items: 0 }, deps.clock.now())]);
      logger.info({ objects }, "job's chunks erased");
    },
  });
}
