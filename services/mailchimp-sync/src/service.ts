import { parseServiceManifest, subscriptionOf, type ServiceDefinition } from '@refinery/runtime';
import manifestJson from '../service.json';
import type { MailchimpSyncDeps } from './config';
import { createApiHandler } from './handlers/api';
import { createFetchPageHandler } from './handlers/fetch-page';
import { createPlanImportHandler } from './handlers/plan-import';
import { createWriteBackHandler } from './handlers/write-back';

export const mailchimpSyncManifest = parseServiceManifest(manifestJson, 'services/mailchimp-sync/service.json');

export function createMailchimpSyncService(deps: MailchimpSyncDeps): ServiceDefinition {
  return {
    manifest: mailchimpSyncManifest,
    subscriptions: {
      imports: { handler: createPlanImportHandler(deps, subscriptionOf(mailchimpSyncManifest, 'imports')) },
      pages: { handler: createFetchPageHandler(deps, subscriptionOf(mailchimpSyncManifest, 'pages')) },
      writeback: { handler: createWriteBackHandler(deps, subscriptionOf(mailchimpSyncManifest, 'writeback')) },
    },
    http: createApiHandler(deps),
  };
}

export * from './config';
export { KeyVault } from './domain/key-vault';
export { pageRanges } from './handlers/plan-import';
