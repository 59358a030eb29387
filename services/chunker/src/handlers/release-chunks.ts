import { toPublishEntry } from '@refinery/events';
import { createEventSubscriptionHandler, type SubscriptionBinding } from '@refinery/runtime';
import type { ChunkerDeps } from '../config';
import { chunker } from '../definition';
import { loadPlannedChunk } from '../domain/plan-store';

/**
 * chunk.matched.v1 of chunk i -> publishes the stored chunk.planned.v1 of chunk i + window, if the job has one.
 *
 * Every chunk j >= window has exactly one predecessor, j - window, so each chunk is released once, by a completion
 * that is certain to come (or the job fails: a chunk that fails for good ends the job through stage.failed.v1, and its
 * redrive releases its successor then). A duplicate chunk.matched.v1 publishes the same stored event again, with the
 * same id, which consumers drop. No counter, no condition: nothing to contend on.
 */
export function createReleaseChunksHandler(deps: ChunkerDeps): SubscriptionBinding {
  return createEventSubscriptionHandler({
    subscription: chunker.subscriptions.progress,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const { jobId } = event.metadata;
      const { index, count } = event.data.chunk;
      const done = await loadPlannedChunk(deps.plans, jobId, index);
      if (!done) {
        // Planned before windows existed (every chunk was published at once): nothing is waiting on this one.
        logger.warn({ chunk: index }, 'no stored plan for this chunk; nothing to release');
        return;
      }
      const next = index + done.window;
      if (next >= count) return;
      const successor = await loadPlannedChunk(deps.plans, jobId, next);
      // The plan is stored whole before any chunk is published, so a missing successor means the table lost it.
      if (!successor) throw new Error(`the stored plan of job ${jobId} has chunk ${index} but not chunk ${next} of ${count}`);
      await deps.publisher.publish([toPublishEntry(successor.event)]);
      logger.debug({ chunk: index, released: next }, 'chunk released');
    },
  });
}
