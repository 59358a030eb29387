import { jobDataErasedEntry } from '@refinery/events';
import { queryAll, type Table } from '@refinery/ports';
import { createEventSubscriptionHandler, type SubscriptionBinding } from '@refinery/runtime';
import type { NotifierDeps } from '../config';
import { notifier } from '../definition';

/**
 * job-erasure.requested.v1 -> what the notifier kept of the job deleted: every delivery attempt to the tenant's
 * subscriptions (the payloads' job, status codes, errors), the markers of what was delivered, and the job's latest
 * view (its filename and counts). Read straight from the table's layout (domain/subscriptions.ts, domain/job-views.ts):
 * no secret is needed or opened to erase.
 */
export function createEraseHandler(deps: NotifierDeps): SubscriptionBinding {
  return createEventSubscriptionHandler({
    subscription: notifier.subscriptions.erasure,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const { tenantId, jobId } = event.metadata;
      const items = await eraseJobRecords(deps.subscriptions, tenantId, jobId);
      await deps.publisher.publish([jobDataErasedEntry('notifier', event, { objects: 0, items }, deps.clock.now())]);
      logger.info({ items }, "job's delivery records erased");
    },
  });
}

/** Deletes the job's attempts, delivery markers and view; returns how many items. Idempotent. */
export async function eraseJobRecords(table: Table, tenantId: string, jobId: string): Promise<number> {
  let deleted = 0;
  const subscriptionIds: string[] = [];
  for await (const item of queryAll(table, `tenant#${tenantId}`, { beginsWith: 'subscription#' })) {
    subscriptionIds.push(String(item.sk).slice('subscription#'.length));
  }
  const eventIds = new Set<string>();
  for (const subscriptionId of subscriptionIds) {
    for await (const attempt of queryAll(table, `attempts#${subscriptionId}`)) {
      if (attempt.jobId !== jobId) continue;
      if (typeof attempt.eventId === 'string') eventIds.add(attempt.eventId);
      await table.delete({ pk: attempt.pk, sk: attempt.sk });
      deleted += 1;
    }
  }
  // What was delivered, per notified event of the job (one marker per subscription it reached).
  for (const eventId of eventIds) {
    for await (const marker of queryAll(table, `delivery#${eventId}`)) {
      await table.delete({ pk: marker.pk, sk: marker.sk });
      deleted += 1;
    }
  }
  const viewKey = { pk: `tenant#${tenantId}`, sk: `job#${jobId}` };
  if (await table.get(viewKey)) {
    await table.delete(viewKey);
    deleted += 1;
  }
  return deleted;
}
