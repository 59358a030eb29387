import { parseServiceManifest, subscriptionOf, type ServiceDefinition } from '@refinery/runtime';
import manifestJson from '../service.json';
import type { NotifierDeps } from './config';
import { createApiHandler } from './handlers/api';
import { createNotifyHandler } from './handlers/notify';

export const notifierManifest = parseServiceManifest(manifestJson, 'services/notifier/service.json');

export function createNotifierService(deps: NotifierDeps): ServiceDefinition {
  return {
    manifest: notifierManifest,
    subscriptions: {
      jobs: { handler: createNotifyHandler(deps, subscriptionOf(notifierManifest, 'jobs')) },
    },
    http: createApiHandler(deps),
  };
}

export * from './config';
