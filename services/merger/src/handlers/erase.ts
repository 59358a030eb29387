import { jobDataErasedEntry, jobObjectPrefix } from '@refinery/events';
import { createEventSubscriptionHandler, type SubscriptionBinding } from '@refinery/runtime';
import type { MergerDeps } from '../config';
import { merger } from '../definition';
import { Ledger } from '../domain/ledger';

/**
 * job-erasure.requested.v1 -> every object of the job in the results bucket deleted (the result and each of its
 * versions, the review queue and the model copied beside it), then its ledger items.
 */
export function createEraseHandler(deps: MergerDeps): SubscriptionBinding {
  const ledger = new Ledger(deps.ledger, deps.clock, deps.config.retentionDays);
  return createEventSubscriptionHandler({
    subscription: merger.subscriptions.erasure,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const { tenantId, jobId } = event.metadata;
      const objects = await deps.objects.deletePrefix(deps.config.resultsBucket, jobObjectPrefix(tenantId, jobId));
      const items = await ledger.erase(jobId);
      await deps.publisher.publish([jobDataErasedEntry('merger', event, { objects, items }, deps.clock.now())]);
      logger.info({ objects, items }, "job's results and ledger erased");
    },
  });
}
