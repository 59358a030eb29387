import { TableKeyedLimiter } from '@refinery/keyed-limiter';
import { MailchimpClient } from '@refinery/mailchimp';
import { implementService, type ServiceParts } from '@refinery/runtime';
import { DEFAULT_MAILCHIMP_SYNC_CONFIG, type MailchimpSyncDeps, type MailchimpSyncTuning } from './config';
import { mailchimpSync } from './definition';
import { KeyVault } from './domain/key-vault';
import { createApiHandler } from './handlers/api';
import { createEraseHandler } from './handlers/erase';
import { createFetchPageHandler } from './handlers/fetch-page';
import { createPlanImportHandler } from './handlers/plan-import';
import { createWriteBackHandler } from './handlers/write-back';

/** mailchimp-sync's handlers, from the ports they need (what the service is composed of, and what tests build). */
export function mailchimpSyncHandlers(deps: MailchimpSyncDeps): ServiceParts<typeof mailchimpSync> {
  return {
    subscriptions: {
      imports: createPlanImportHandler(deps),
      pages: createFetchPageHandler(deps),
      writeback: createWriteBackHandler(deps),
      erasure: createEraseHandler(deps),
    },
    http: createApiHandler(deps),
  };
}

/**
 * mailchimp-sync. Every Mailchimp request of every function and container goes through one limiter over the limits
 * table, so each API key's connection limit is shared by every job and tenant.
 */
export const mailchimpSyncService = implementService(mailchimpSync, (context, given: Partial<MailchimpSyncTuning>) => {
  const { settings } = context;
  const baseUrl = settings.mailchimpBaseUrl || undefined;
  const limiter = new TableKeyedLimiter({
    table: context.tables.limits,
    limit: settings.mailchimpMaxConnections,
    logger: context.logger,
    waits: { metrics: context.metrics, limiter: 'mailchimp' },
  });
  return mailchimpSyncHandlers({
    ...context,
    config: {
      ...DEFAULT_MAILCHIMP_SYNC_CONFIG,
      ...given,
      importsBucket: context.buckets.imports,
      maxConnectionsPerKey: settings.mailchimpMaxConnections,
      ...(baseUrl ? { baseUrl } : {}),
    },
    table: context.tables.state,
    keys: new KeyVault(context.tables.state, settings.keyEncryptionKey, context.ids),
    limiter,
    mailchimp: (apiKey) => new MailchimpClient({ apiKey, gate: limiter, ...(baseUrl ? { baseUrl } : {}) }),
    tokens: settings.apiTokens,
  });
});

export * from './config';
export { mailchimpSync } from './definition';
export { KeyVault } from './domain/key-vault';
export { pageRanges } from './handlers/plan-import';
