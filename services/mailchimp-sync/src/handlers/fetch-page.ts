import { formatPlainCsvRecord } from '@refinery/csv';
import { MEMBER_FIELDS } from '@refinery/mailchimp';
import type { ObjectRef } from '@refinery/ports';
import { createEventSubscriptionHandler, NonRetryableError, type SubscriptionBinding } from '@refinery/runtime';
import type { MailchimpSyncDeps } from '../config';
import { mailchimpSync } from '../definition';
import { AUDIENCE_COLUMN_MAPPING, AUDIENCE_HEADER_LINE, audienceCells } from '../domain/audience-csv';
import { type ImportRecord, Imports } from '../domain/imports';
import { askMailchimp, mailchimpForImport, STABLE_ORDER } from '../domain/open-import';
import { jobObject, publishJobSubmitted } from '../domain/publish';

interface PageLine {
  readonly id: string;
  readonly cells: string[];
}

const pageName = (index: number): string => `pages/${String(index).padStart(9, '0')}.ndjson`;

/**
 * mailchimp-page.requested.v1 -> fetches one page range (through the per-key limiter, inside the client) and keeps it
 * as NDJSON; the page that completes the set assembles the audience CSV and submits the job. A redelivered page is
 * fetched and written again and counts once.
 */
export function createFetchPageHandler(deps: MailchimpSyncDeps): SubscriptionBinding {
  const imports = new Imports(deps.table);
  return createEventSubscriptionHandler({
    subscription: mailchimpSync.subscriptions.pages,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const { tenantId, jobId } = event.metadata;
      const { listId, apiKeyRef, snapshotAt, page, offset, count } = event.data;
      const record = await imports.get(jobId);
      if (!record) throw new NonRetryableError(`no import recorded for job ${jobId}`);
      const mailchimp = await mailchimpForImport(deps, tenantId, apiKeyRef);
      const fetched = await askMailchimp(`list the members of audience ${listId}`, () =>
        mailchimp.listMembers(listId, { offset, count, fields: MEMBER_FIELDS, beforeTimestampOpt: snapshotAt, ...STABLE_ORDER }),
      );
      const lines = fetched.members.map((member) => `${JSON.stringify({ id: member.id, cells: audienceCells(member) } satisfies PageLine)}\n`);
      await deps.objects.put(jobObject(deps, tenantId, jobId, pageName(page.index)), lines.join(''), { contentType: 'application/x-ndjson' });
      const done = await imports.markPageDone(record, jobId, page.index);
      logger.info({ page: page.index + 1, pages: page.count, members: fetched.members.length, done }, 'audience page fetched');
      if (done < page.count) return;
      // Every page is in (this delivery, or a concurrent one, may assemble: both write the same file and the same
      // job.submitted.v1 event id).
      const audience = jobObject(deps, tenantId, jobId, 'audience.csv');
      const { sizeBytes, members } = await assembleAudience(deps, record, tenantId, jobId, page.count, audience);
      await publishJobSubmitted(deps, {
        tenantId,
        jobId,
        correlationId: event.metadata.correlationId,
        causationId: event.metadata.eventId,
        filename: record.filename,
        input: audience,
        options: { chunkRows: record.chunkRows, columnMapping: AUDIENCE_COLUMN_MAPPING },
        sizeBytes,
      });
      logger.info({ members, pages: page.count }, 'audience assembled; job submitted');
    },
  });
}

/**
 * Pages whose member ids the assembly remembers. A member id is unique in its audience (the MD5 hash of the lower-cased
 * e-mail address, Mailchimp's `subscriber_hash`), and pages are slices of one order (opt-in time): a member appears
 * again only in a page that overlaps its first one, the next one (pageOverlap), or, shifted by removals between two
 * fetches, the one after. Further apart would take more removals during paging than the overlap catches anyway.
 */
const DEDUPLICATION_WINDOW_PAGES = 2;

/**
 * Concatenates the pages in order into the job's CSV as a stream, keeping each member once (pages overlap, and a
 * member shifted by a removal can appear in two). Memory holds one page and the ids of the last
 * DEDUPLICATION_WINDOW_PAGES pages, whatever the audience's size.
 */
async function assembleAudience(
  deps: MailchimpSyncDeps,
  record: ImportRecord,
  tenantId: string,
  jobId: string,
  pages: number,
  target: ObjectRef,
): Promise<{ sizeBytes: number; members: number }> {
  const recentPages: Set<string>[] = [];
  let members = 0;
  async function* csv(): AsyncGenerator<string> {
    yield AUDIENCE_HEADER_LINE;
    for (let index = 0; index < pages; index += 1) {
      const text = (await deps.objects.getBuffer(jobObject(deps, tenantId, jobId, pageName(index)))).toString('utf8');
      const ids = new Set<string>();
      let chunk = '';
      for (const line of text.split('\n')) {
        if (line === '') continue;
        const member = JSON.parse(line) as PageLine;
        if (ids.has(member.id) || recentPages.some((page) => page.has(member.id))) continue;
        ids.add(member.id);
        members += 1;
        chunk += formatPlainCsvRecord(member.cells);
      }
      recentPages.push(ids);
      if (recentPages.length > DEDUPLICATION_WINDOW_PAGES) recentPages.shift();
      if (chunk) yield chunk;
    }
  }
  const info = await deps.objects.put(target, csv(), { contentType: 'text/csv; charset=utf-8' });
  if (members === 0) throw new NonRetryableError(`the Mailchimp audience ${record.listId} had no members left to import`);
  return { sizeBytes: info.sizeBytes, members };
}
