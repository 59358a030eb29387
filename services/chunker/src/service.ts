import { parseServiceManifest, subscriptionOf, type ServiceDefinition } from '@refinery/runtime';
import manifestJson from '../service.json';
import type { ChunkerDeps } from './config';
import { createPlanChunksHandler } from './handlers/plan-chunks';
import { createReleaseChunksHandler } from './handlers/release-chunks';

export const chunkerManifest = parseServiceManifest(manifestJson, 'services/chunker/service.json');

export function createChunkerService(deps: ChunkerDeps): ServiceDefinition {
  if (!Number.isInteger(deps.config.chunkWindow) || deps.config.chunkWindow < 1) {
    throw new Error(`the chunker's chunkWindow must be a positive integer, got ${deps.config.chunkWindow}`);
  }
  return {
    manifest: chunkerManifest,
    subscriptions: {
      jobs: { handler: createPlanChunksHandler(deps, subscriptionOf(chunkerManifest, 'jobs')) },
      progress: { handler: createReleaseChunksHandler(deps, subscriptionOf(chunkerManifest, 'progress')) },
    },
  };
}

export * from './config';
