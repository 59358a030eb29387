import { parseServiceManifest, type ServiceDefinition } from '@refinery/runtime';
import manifestJson from '../service.json';
import type { MergerDeps } from './config';
import { createFailuresHandler } from './handlers/failures';
import { createProgressHandler } from './handlers/progress';

export const mergerManifest = parseServiceManifest(manifestJson, 'services/merger/service.json');

export function createMergerService(deps: MergerDeps): ServiceDefinition {
  const { subscriptions } = mergerManifest;
  return {
    manifest: mergerManifest,
    subscriptions: {
      progress: { handler: createProgressHandler(deps, { maxReceiveCount: subscriptions.progress!.queue.maxReceiveCount }) },
      failures: { handler: createFailuresHandler(deps, { maxReceiveCount: subscriptions.failures!.queue.maxReceiveCount }) },
    },
  };
}

export * from './config';
