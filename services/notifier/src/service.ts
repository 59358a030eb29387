import { parseServiceManifest, subscriptionOf, type ServiceDefinition } from '@refinery/runtime';
import manifestJson from '../service.json';
import type { NotifierDeps } from './config';
import { createApiHandler } from './handlers/api';
import { createNotifyHandler } from './handlers/notify';
import { createProgressHandler } from './handlers/progress';
import { createSocketHandler } from './handlers/socket';

export const notifierManifest = parseServiceManifest(manifestJson, 'services/notifier/service.json');

export function createNotifierService(deps: NotifierDeps): ServiceDefinition {
  return {
    manifest: notifierManifest,
    subscriptions: {
      jobs: { handler: createNotifyHandler(deps, subscriptionOf(notifierManifest, 'jobs')) },
      // Live updates never report a failed stage, not even from the dead-letter queue (see createProgressHandler).
      progress: { handler: createProgressHandler(deps, subscriptionOf(notifierManifest, 'progress')), describe: () => undefined },
    },
    http: createApiHandler(deps),
    websocket: createSocketHandler(deps),
  };
}

export * from './config';
