import { implementService, type ServiceParts } from '@refinery/runtime';
import type { ChunkerDeps } from './config';
import { chunker } from './definition';
import { createEraseHandler } from './handlers/erase';
import { createPlanChunksHandler } from './handlers/plan-chunks';
import { createReleaseChunksHandler } from './handlers/release-chunks';

/** The chunker's handlers, from the ports they need (what the service is composed of, and what tests build). */
export function chunkerHandlers(deps: ChunkerDeps): ServiceParts<typeof chunker> {
  // The declared setting refuses it on AWS; values given directly (the local mode, tests) are checked here.
  for (const [key, min] of [
    ['chunkWindow', 1],
    ['expressMaxChunks', 1],
    ['expressMaxRows', 0],
  ] as const) {
    const value = deps.config[key];
    if (!Number.isInteger(value) || value < min) throw new Error(`the chunker's ${key} must be an integer of at least ${min}, got ${value}`);
  }
  return {
    subscriptions: { jobs: createPlanChunksHandler(deps), progress: createReleaseChunksHandler(deps), erasure: createEraseHandler(deps) },
  };
}

export const chunkerService = implementService(chunker, (context) =>
  chunkerHandlers({ ...context, config: context.settings, plans: context.tables.plans }),
);

export * from './config';
export { chunker } from './definition';
