import { parseCsvRecords } from '@refinery/csv';
import { createEvent, deriveEventId, followUpMetadata, mailchimpWritebackCompletedV1, toPublishEntry } from '@refinery/events';
import type { MailchimpBatchOperation } from '@refinery/mailchimp';
import { createEventSubscriptionHandler, type SubscriptionBinding } from '@refinery/runtime';
import type { MailchimpSyncDeps } from '../config';
import { mailchimpSync } from '../definition';
import { Imports } from '../domain/imports';
import { mailchimpForImport } from '../domain/open-import';
import { jobObject } from '../domain/publish';
import { writeBackOperations } from '../domain/write-back';

interface Failure {
  memberId: string;
  operation: string;
  status: number;
  detail: string;
}

/**
 * job.completed.v1 of an import with `writeBack` -> one Mailchimp batch operation with the members' new values and tags
 * (under the same per-key limiter), waits for it, and reports per-member failures. The batch id is recorded before
 * waiting: a redelivery waits for the same batch instead of starting another.
 */
export function createWriteBackHandler(deps: MailchimpSyncDeps): SubscriptionBinding {
  const imports = new Imports(deps.table);
  return createEventSubscriptionHandler({
    subscription: mailchimpSync.subscriptions.writeback,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const { tenantId, jobId } = event.metadata;
      const record = await imports.get(jobId);
      if (!record?.writeBack) return;
      const progressKey = { pk: `import#${jobId}`, sk: 'writeback' };
      const progress = await deps.table.get(progressKey);
      if (progress?.completed === true) return;

      const operations: MailchimpBatchOperation[] = [];
      let header: string[] | undefined;
      let skipped = 0;
      const format = { delimiter: ',' as const, encoding: 'utf-8' as const, hasBom: false };
      for await (const cells of parseCsvRecords(await deps.objects.get(event.data.result), format)) {
        if (!header) {
          header = cells;
          continue;
        }
        const row = Object.fromEntries(header.map((name, i) => [name, cells[i] ?? '']));
        const forRow = writeBackOperations(record.listId, row);
        if (!forRow.some((operation) => operation.method === 'PATCH')) skipped += 1;
        operations.push(...forRow);
      }
      const memberIds = new Set(
        operations.filter((operation) => operation.method === 'PATCH').map((operation) => operation.operation_id?.split(':')[0]),
      );
      const report = jobObject(deps, tenantId, jobId, 'writeback-report.ndjson');
      let batchId: string | undefined;
      const failures: Failure[] = [];
      if (operations.length > 0) {
        const mailchimp = await mailchimpForImport(deps, tenantId, record.apiKeyRef);
        batchId = typeof progress?.batchId === 'string' ? progress.batchId : (await mailchimp.startBatch(operations)).id;
        await deps.table.put({ ...progressKey, batchId, completed: false });
        const batch = await mailchimp.waitForBatch(batchId, { pollMs: deps.config.batchPollMs, timeoutMs: deps.config.batchTimeoutMs });
        for (const result of await mailchimp.batchResults(batch)) {
          if (result.status_code < 400) continue;
          const [memberId = '', operation = ''] = (result.operation_id ?? ':').split(':');
          const detail =
            typeof result.response === 'object' && result.response !== null
              ? String((result.response as { detail?: unknown }).detail ?? '')
              : String(result.response ?? '');
          failures.push({ memberId, operation, status: result.status_code, detail });
        }
      }
      await deps.objects.put(report, failures.map((failure) => `${JSON.stringify(failure)}\n`).join(''), { contentType: 'application/x-ndjson' });
      const failedMembers = new Set(failures.map((failure) => failure.memberId));
      const completed = createEvent(mailchimpWritebackCompletedV1, {
        service: 'mailchimp-sync',
        metadata: {
          ...followUpMetadata(event, deriveEventId(event.metadata.eventId, mailchimpWritebackCompletedV1.type)),
          occurredAt: deps.clock.now().toISOString(),
        },
        data: {
          listId: record.listId,
          ...(batchId ? { batchId } : {}),
          members: { updated: [...memberIds].filter((id) => id && !failedMembers.has(id)).length, failed: failedMembers.size, skipped },
          report,
        },
      });
      await deps.publisher.publish([toPublishEntry(completed)]);
      await deps.table.put({ ...progressKey, ...(batchId ? { batchId } : {}), completed: true });
      logger.info({ operations: operations.length, failed: failedMembers.size }, 'results written back to Mailchimp');
    },
  });
}
