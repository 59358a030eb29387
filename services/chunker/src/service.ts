import { parseServiceManifest, subscriptionOf, type ServiceDefinition } from '@refinery/runtime';
import manifestJson from '../service.json';
import type { ChunkerDeps } from './config';
import { createPlanChunksHandler } from './handlers/plan-chunks';

export const chunkerManifest = parseServiceManifest(manifestJson, 'services/chunker/service.json');

export function createChunkerService(deps: ChunkerDeps): ServiceDefinition {
  return {
    manifest: chunkerManifest,
    subscriptions: {
      jobs: { handler: createPlanChunksHandler(deps, subscriptionOf(chunkerManifest, 'jobs')) },
    },
  };
}

export * from './config';
