import { createEvent, deriveEventId, followUpMetadata, mailchimpPageRequestedV1, toPublishEntry } from '@refinery/events';
import { createEventSubscriptionHandler, NonRetryableError, type SubscriptionBinding } from '@refinery/runtime';
import type { MailchimpSyncDeps } from '../config';
import { mailchimpSync } from '../definition';
import { Imports } from '../domain/imports';
import { askMailchimp, mailchimpForImport, STABLE_ORDER } from '../domain/open-import';

const PUBLISH_BATCH = 10;

/** Page ranges covering `total` members with `size` per page, each starting `overlap` members before the previous one ends. */
export function pageRanges(total: number, size: number, overlap: number): { offset: number; count: number }[] {
  return pageRangesFor(Math.max(1, Math.ceil(Math.max(0, total - size) / (size - overlap)) + 1), size, overlap);
}

/** The ranges of a plan of `pages` pages. */
export function pageRangesFor(pages: number, size: number, overlap: number): { offset: number; count: number }[] {
  return Array.from({ length: pages }, (_, index) => ({ offset: index * (size - overlap), count: size }));
}

/**
 * mailchimp-import.requested.v1 -> asks Mailchimp how many members the audience had at the snapshot, then publishes one
 * mailchimp-page.requested.v1 per page range. Event ids derive from the request, so a redelivery republishes the same.
 */
export function createPlanImportHandler(deps: MailchimpSyncDeps): SubscriptionBinding {
  const imports = new Imports(deps.table);
  return createEventSubscriptionHandler({
    subscription: mailchimpSync.subscriptions.imports,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const { listId, apiKeyRef, snapshotAt } = event.data;
      // A redelivery keeps the plan it made first: members removed since would otherwise change the page count under
      // page events already published.
      const planned = (await imports.get(event.metadata.jobId))?.pages;
      let members: number | undefined;
      if (planned === undefined) {
        const mailchimp = await mailchimpForImport(deps, event.metadata.tenantId, apiKeyRef);
        const first = await askMailchimp(`list the members of audience ${listId}`, () =>
          mailchimp.listMembers(listId, { offset: 0, count: 1, fields: ['id'], beforeTimestampOpt: snapshotAt, ...STABLE_ORDER }),
        );
        if (first.totalItems === 0)
          throw new NonRetryableError(`the Mailchimp audience ${listId} has no members (who opted in before ${snapshotAt})`);
        members = first.totalItems;
      }
      const ranges =
        members === undefined
          ? pageRangesFor(planned as number, deps.config.pageSize, deps.config.pageOverlap)
          : pageRanges(members, deps.config.pageSize, deps.config.pageOverlap);
      if (planned === undefined) await imports.setPages(event.metadata.jobId, ranges.length);
      const now = deps.clock.now().toISOString();
      const requests = ranges.map((range, index) =>
        createEvent(mailchimpPageRequestedV1, {
          service: 'mailchimp-sync',
          metadata: { ...followUpMetadata(event, deriveEventId(event.metadata.eventId, mailchimpPageRequestedV1.type, index)), occurredAt: now },
          data: { listId, apiKeyRef, snapshotAt, page: { index, count: ranges.length }, offset: range.offset, count: range.count },
        }),
      );
      for (let i = 0; i < requests.length; i += PUBLISH_BATCH) {
        await deps.publisher.publish(requests.slice(i, i + PUBLISH_BATCH).map(toPublishEntry));
      }
      logger.info({ listId, members, pages: ranges.length }, 'audience import planned');
    },
  });
}
