import { jobDataErasedEntry, jobObjectPrefix } from '@refinery/events';
import { deletePartition } from '@refinery/ports';
import { createEventSubscriptionHandler, type SubscriptionBinding } from '@refinery/runtime';
import type { MailchimpSyncDeps } from '../config';
import { mailchimpSync } from '../definition';
import { IMPORT_PARTITION_PREFIX } from '../domain/imports';

/**
 * job-erasure.requested.v1 -> every object of the job in the imports bucket deleted (fetched pages, the audience CSV,
 * a webhook's one-contact file, the write-back report), then the import's state items (import, pages done,
 * write-back progress). API keys and webhook registrations are the tenant's, not the job's: they stay.
 */
export function createEraseHandler(deps: MailchimpSyncDeps): SubscriptionBinding {
  return createEventSubscriptionHandler({
    subscription: mailchimpSync.subscriptions.erasure,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const { tenantId, jobId } = event.metadata;
      const objects = await deps.objects.deletePrefix(deps.config.importsBucket, jobObjectPrefix(tenantId, jobId));
      const items = await deletePartition(deps.table, `${IMPORT_PARTITION_PREFIX}${jobId}`);
      await deps.publisher.publish([jobDataErasedEntry('mailchimp-sync', event, { objects, items }, deps.clock.now())]);
      logger.info({ objects, items }, "job's import data erased");
    },
  });
}
