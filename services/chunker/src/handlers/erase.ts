import { jobDataErasedEntry } from '@refinery/events';
import { deletePartition } from '@refinery/ports';
import { createEventSubscriptionHandler, type SubscriptionBinding } from '@refinery/runtime';
import type { ChunkerDeps } from '../config';
import { chunker } from '../definition';
import { plannedChunkKey } from '../domain/plan-store';

/** job-erasure.requested.v1 -> the job's stored plan deleted (its planned chunks: input references and columns). */
export function createEraseHandler(deps: ChunkerDeps): SubscriptionBinding {
  return createEventSubscriptionHandler({
    subscription: chunker.subscriptions.erasure,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const items = await deletePartition(deps.plans, plannedChunkKey(event.metadata.jobId, 0).pk);
      await deps.publisher.publish([jobDataErasedEntry('chunker', event, { objects: 0, items }, deps.clock.now())]);
      logger.info({ items }, "job's plan erased");
    },
  });
}
