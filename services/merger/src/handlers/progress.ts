import { resultRef, reviewModelRef, reviewQueueRef } from '@refinery/chunk-records';
import { createEvent, type DecodedEvent, deriveEventId, jobCompletedV1, jobPlannedV1, toPublishEntry } from '@refinery/events';
import { createEventSubscriptionHandler, type Logger, type SubscriptionBinding } from '@refinery/runtime';
import type { MergerDeps } from '../config';
import { merger } from '../definition';
import { Ledger } from '../domain/ledger';
import { keepReviewModel, mergeResult } from '../domain/merge-result';

/**
 * job.planned.v1 and chunk.labeled.v1, in any order and any number of times: each is recorded, and whichever event
 * finds the plan and every chunk recorded merges the job. Both sides write before they read, so the last of them
 * always sees both (DynamoDB reads here are strongly consistent).
 */
export function createProgressHandler(deps: MergerDeps): SubscriptionBinding {
  const ledger = new Ledger(deps.ledger, deps.clock, deps.config.retentionDays);
  return createEventSubscriptionHandler({
    subscription: merger.subscriptions.progress,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const { jobId } = event.metadata;
      if (event.type === jobPlannedV1.type) {
        await ledger.recordPlan(jobId, {
          tenantId: event.metadata.tenantId,
          correlationId: event.metadata.correlationId,
          columns: event.data.columns,
          rows: event.data.rows.total,
          chunks: event.data.chunks.total,
        });
        if (await ledger.allChunksRecorded(jobId, event.data.chunks.total)) await complete(deps, ledger, event, logger);
      } else {
        const { chunk, rows, result, counts, model } = event.data;
        const allIn = await ledger.recordChunk(jobId, chunk.count, { index: chunk.index, result, rows, counts, ...(model ? { model } : {}) });
        if (allIn) await complete(deps, ledger, event, logger);
      }
    },
  });
}

async function complete(deps: MergerDeps, ledger: Ledger, cause: DecodedEvent, logger: Logger): Promise<void> {
  const { jobId, tenantId } = cause.metadata;
  const plan = await ledger.plan(jobId);
  if (!plan) return; // job.planned.v1 has not arrived yet; it will complete the job.
  const outcome = await ledger.outcome(jobId);
  if (outcome?.status === 'completed') return;
  const target = resultRef(deps.config.resultsBucket, tenantId, jobId, 0);
  const started = Date.now();
  const reviewTarget = reviewQueueRef(deps.config.resultsBucket, tenantId, jobId);
  const { info, totals, review, model } = await mergeResult(deps.objects, plan, ledger.chunks(jobId), target, reviewTarget);
  // The review queue keeps the model its rows were matched with: decisions teach it (ingest scores pending rows again).
  if (review && model) {
    const kept = await keepReviewModel(deps.objects, model, reviewModelRef(deps.config.resultsBucket, tenantId, jobId));
    if (kept !== 'kept') logger.warn({ model: model.key, kept }, "the job's linkage model could not be kept beside its review queue");
  }
  const eventId = deriveEventId(jobId, jobCompletedV1.type);
  const completed = createEvent(jobCompletedV1, {
    service: 'merger',
    metadata: {
      eventId,
      tenantId,
      jobId,
      correlationId: plan.correlationId,
      causationId: cause.metadata.eventId,
      occurredAt: deps.clock.now().toISOString(),
    },
    data: {
      result: { ...target, sizeBytes: info.sizeBytes, contentType: 'text/csv; charset=utf-8' },
      rows: {
        total: totals.rows,
        matched: totals.matched,
        unmatched: totals.unmatched,
        invalid: totals.invalid,
        ...(totals.review ? { review: totals.review } : {}),
      },
      byMethod: totals.byMethod,
      chunks: { total: plan.chunks },
      ...(review ? { review: { items: review.ref, count: review.count } } : {}),
    },
  });
  await deps.publisher.publish([toPublishEntry(completed)]);
  // Recorded after publishing: a crash in between merges and publishes again (the same event id), never loses it.
  await ledger.recordCompleted(jobId, eventId);
  logger.info({ rows: totals.rows, bytes: info.sizeBytes, ms: Date.now() - started }, 'job merged');
}
