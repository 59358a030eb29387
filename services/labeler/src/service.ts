import { implementService, type ServiceParts } from '@refinery/runtime';
import type { LabelerDeps } from './config';
import { labeler } from './definition';
import { createEraseHandler } from './handlers/erase';
import { createLabelChunkHandler } from './handlers/label-chunk';

/** The labeler's handlers, from the ports they need (what the service is composed of, and what tests build). */
export function labelerHandlers(deps: LabelerDeps): ServiceParts<typeof labeler> {
  return {
    subscriptions: {
      chunks: createLabelChunkHandler(deps, labeler.subscriptions.chunks),
      expressChunks: createLabelChunkHandler(deps, labeler.subscriptions.expressChunks),
      erasure: createEraseHandler(deps),
    },
  };
}

export const labelerService = implementService(labeler, (context) =>
  labelerHandlers({ ...context, config: { chunksBucket: context.buckets.chunks } }),
);

export * from './config';
export { labeler } from './definition';
