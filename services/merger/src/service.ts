import { parseServiceManifest, subscriptionOf, type ServiceDefinition } from '@refinery/runtime';
import manifestJson from '../service.json';
import type { MergerDeps } from './config';
import { createFailuresHandler } from './handlers/failures';
import { createProgressHandler } from './handlers/progress';

export const mergerManifest = parseServiceManifest(manifestJson, 'services/merger/service.json');

export function createMergerService(deps: MergerDeps): ServiceDefinition {
  return {
    manifest: mergerManifest,
    subscriptions: {
      progress: { handler: createProgressHandler(deps, subscriptionOf(mergerManifest, 'progress')) },
      failures: { handler: createFailuresHandler(deps, subscriptionOf(mergerManifest, 'failures')) },
    },
  };
}

export * from './config';
