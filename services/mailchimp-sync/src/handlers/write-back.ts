import { parseCsvRecords } from '@refinery/csv';
import { createEvent, deriveEventId, followUpMetadata, mailchimpWritebackCompletedV1, toPublishEntry } from '@refinery/events';
import type { MailchimpBatchOperation } from '@refinery/mailchimp';
import type { ObjectRef } from '@refinery/ports';
import { createEventSubscriptionHandler, type SubscriptionBinding } from '@refinery/runtime';
import type { MailchimpSyncDeps } from '../config';
import { mailchimpSync } from '../definition';
import { IMPORT_PARTITION_PREFIX, Imports } from '../domain/imports';
import { mailchimpForImport } from '../domain/open-import';
import { jobObject } from '../domain/publish';
import { writeBackOperations } from '../domain/write-back';

interface Failure {
  memberId: string;
  operation: string;
  status: number;
  detail: string;
}

interface BatchCounts {
  updated: number;
  failed: number;
  skipped: number;
}

/** The result's operations, a batch at a time: never more than `size` operations (and a row's all in one batch). */
interface PendingBatch {
  readonly index: number;
  readonly operations: MailchimpBatchOperation[];
  /** Rows of the batch with no merge fields to write (confirmed, unmatched or invalid). */
  skipped: number;
}

const batchKey = (jobId: string, index: number) => ({
  pk: `${IMPORT_PARTITION_PREFIX}${jobId}`,
  sk: `writeback#batch#${String(index).padStart(9, '0')}`,
});
const batchReportName = (index: number): string => `writeback-report/${String(index).padStart(9, '0')}.ndjson`;

/** Reads the result file a row at a time and hands on its operations in batches of at most `size`. */
async function* operationBatches(deps: MailchimpSyncDeps, result: ObjectRef, listId: string, size: number): AsyncGenerator<PendingBatch> {
  let header: string[] | undefined;
  let batch: PendingBatch = { index: 0, operations: [], skipped: 0 };
  const format = { delimiter: ',' as const, encoding: 'utf-8' as const, hasBom: false };
  for await (const cells of parseCsvRecords(await deps.objects.get(result), format)) {
    if (!header) {
      header = cells;
      continue;
    }
    const row = Object.fromEntries(header.map((name, i) => [name, cells[i] ?? '']));
    const forRow = writeBackOperations(listId, row);
    if (batch.operations.length > 0 && batch.operations.length + forRow.length > size) {
      yield batch;
      batch = { index: batch.index + 1, operations: [], skipped: 0 };
    }
    if (!forRow.some((operation) => operation.method === 'PATCH')) batch.skipped += 1;
    batch.operations.push(...forRow);
  }
  if (batch.operations.length > 0 || batch.skipped > 0) yield batch;
}

/**
 * job.completed.v1 of an import with `writeBack` -> the result's new values and tags written to Mailchimp in batch
 * operations of at most `writeBackBatchOperations` operations each (under the same per-key limiter), one after the
 * other, each waited for and its per-member failures kept in a report part. Memory holds one batch, whatever the
 * result's size. Each batch's id is recorded before waiting and its counts once it is done (one small item per batch):
 * a redelivery skips the batches done, waits for the one started instead of starting another, and goes on from there.
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
      const progressKey = { pk: `${IMPORT_PARTITION_PREFIX}${jobId}`, sk: 'writeback' };
      const progress = await deps.table.get(progressKey);
      if (progress?.completed === true) return;

      let mailchimp: Awaited<ReturnType<typeof mailchimpForImport>> | undefined;
      const client = async () => {
        mailchimp ??= await mailchimpForImport(deps, tenantId, record.apiKeyRef);
        return mailchimp;
      };
      const waitFor = async (batchId: string) =>
        (await client()).waitForBatch(batchId, { pollMs: deps.config.batchPollMs, timeoutMs: deps.config.batchTimeoutMs });
      // A write-back started by the earlier version: one batch of every operation. Let it finish before the batches
      // below send the same operations again (the same values and tags: written twice, changed once).
      if (typeof progress?.batchId === 'string') await waitFor(progress.batchId);

      const totals: BatchCounts = { updated: 0, failed: 0, skipped: 0 };
      // The event names the first batch (its schema has one id); the others are in the state table.
      let firstBatchId: string | undefined;
      let batches = 0;
      for await (const batch of operationBatches(deps, event.data.result, record.listId, deps.config.writeBackBatchOperations)) {
        batches = batch.index + 1;
        const key = batchKey(jobId, batch.index);
        const done = await deps.table.get(key);
        if (batch.index === 0 && typeof done?.batchId === 'string') firstBatchId = done.batchId;
        if (done?.completed === true) {
          totals.updated += Number(done.updated ?? 0);
          totals.failed += Number(done.failed ?? 0);
          totals.skipped += Number(done.skipped ?? 0);
          continue;
        }
        const failures: Failure[] = [];
        let batchId: string | undefined;
        if (batch.operations.length > 0) {
          batchId = typeof done?.batchId === 'string' ? done.batchId : (await (await client()).startBatch(batch.operations)).id;
          if (done?.batchId === undefined) await deps.table.put({ ...key, batchId, completed: false });
          if (batch.index === 0) firstBatchId = batchId;
          const finished = await waitFor(batchId);
          for (const result of await (await client()).batchResults(finished)) {
            if (result.status_code < 400) continue;
            const [memberId = '', operation = ''] = (result.operation_id ?? ':').split(':');
            const detail =
              typeof result.response === 'object' && result.response !== null
                ? String((result.response as { detail?: unknown }).detail ?? '')
                : String(result.response ?? '');
            failures.push({ memberId, operation, status: result.status_code, detail });
          }
        }
        await deps.objects.put(
          jobObject(deps, tenantId, jobId, batchReportName(batch.index)),
          failures.map((failure) => `${JSON.stringify(failure)}\n`).join(''),
          { contentType: 'application/x-ndjson' },
        );
        // A member's operations are all in its row's batch: these sets hold one batch's members at most.
        const failedMembers = new Set(failures.map((failure) => failure.memberId));
        const patched = new Set(
          batch.operations.filter((operation) => operation.method === 'PATCH').map((operation) => operation.operation_id?.split(':')[0]),
        );
        const counts: BatchCounts = {
          updated: [...patched].filter((id) => id && !failedMembers.has(id)).length,
          failed: failedMembers.size,
          skipped: batch.skipped,
        };
        await deps.table.put({ ...key, ...(batchId ? { batchId } : {}), completed: true, ...counts });
        totals.updated += counts.updated;
        totals.failed += counts.failed;
        totals.skipped += counts.skipped;
      }

      // The one report the event names: the batches' parts in order, streamed (failures only).
      const report = jobObject(deps, tenantId, jobId, 'writeback-report.ndjson');
      async function* reportParts(): AsyncGenerator<Buffer> {
        for (let index = 0; index < batches; index += 1) {
          const part = await deps.objects.getBuffer(jobObject(deps, tenantId, jobId, batchReportName(index)));
          if (part.length > 0) yield part;
        }
      }
      await deps.objects.put(report, reportParts(), { contentType: 'application/x-ndjson' });
      const completed = createEvent(mailchimpWritebackCompletedV1, {
        service: 'mailchimp-sync',
        metadata: {
          ...followUpMetadata(event, deriveEventId(event.metadata.eventId, mailchimpWritebackCompletedV1.type)),
          occurredAt: deps.clock.now().toISOString(),
        },
        data: { listId: record.listId, ...(firstBatchId ? { batchId: firstBatchId } : {}), members: totals, report },
      });
      await deps.publisher.publish([toPublishEntry(completed)]);
      await deps.table.put({ ...progressKey, batches, completed: true });
      logger.info({ batches, ...totals }, 'results written back to Mailchimp');
    },
  });
}
