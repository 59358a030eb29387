import { resultRef, reviewModelRef, reviewQueueRef } from '@refinery/chunk-records';
import { createEvent, type DecodedEvent, deriveEventId, jobCompletedV1, jobPlannedV1, toPublishEntry } from '@refinery/events';
import type { ObjectRef } from '@refinery/ports';
import { createEventSubscriptionHandler, type Logger, recordChunkDone, type SubscriptionBinding } from '@refinery/runtime';
import type { MergerDeps } from '../config';
import { merger } from '../definition';
import { type JobPlanRecord, Ledger, type SegmentRecord, segmentChunks, segmentCount } from '../domain/ledger';
import {
  type ComposedResult,
  composeResult,
  keepReviewModel,
  mergePrefix,
  mergeSegment,
  mergeWholeResult,
  segmentRefs,
} from '../domain/merge-result';

/**
 * job.planned.v1 and chunk.labeled.v1, in any order and any number of times: each is recorded. The chunk that
 * completes a segment (a run of chunks, ledger.ts) merges that segment into an object of its own while the job still
 * runs; whichever event finds the plan and every chunk recorded composes the job's result from its segments, merging
 * first any segment not merged yet (one whose chunks all came in before the plan, one still being merged by another
 * invocation, or, for a job recorded by the previous version, the segments of its chunks recorded before the upgrade).
 * Both sides write before they read, so the last of them always sees both (DynamoDB reads here are strongly
 * consistent). Both of the merger's lanes (`progress`, `expressProgress`) run it; a job's events normally all come on
 * one, and nothing here depends on that: invocations of either lane may record and compose the same job at once.
 */
export function createProgressHandler(
  deps: MergerDeps,
  // Either lane's queue (the same work; failures name the subscription that gave up).
  subscription: typeof merger.subscriptions.progress | typeof merger.subscriptions.expressProgress = merger.subscriptions.progress,
): SubscriptionBinding {
  const ledger = new Ledger(deps.ledger, deps.clock, deps.config.retentionDays);
  return createEventSubscriptionHandler({
    subscription,
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
        const startedAt = deps.clock.now();
        const { chunk, rows, result, counts, model } = event.data;
        const recorded = await ledger.recordChunk(jobId, chunk.count, { index: chunk.index, result, rows, counts, ...(model ? { model } : {}) });
        if (recorded.allIn) await complete(deps, ledger, event, logger);
        else if (recorded.segmentComplete !== undefined)
          await mergeSegmentOnce(deps, ledger, event.metadata, chunk.count, recorded.segmentComplete, logger);
        // The chunk's merge: its record, and the segment or the whole result it completed.
        recordChunkDone(deps, 'merger', startedAt);
      }
    },
  });
}

/**
 * Merges a complete segment of the job unless it is merged already (a redelivery) or the plan, which says how wide the
 * rows are, has not come yet (the job's completion then merges it).
 */
async function mergeSegmentOnce(
  deps: MergerDeps,
  ledger: Ledger,
  metadata: { jobId: string; tenantId: string },
  totalChunks: number,
  index: number,
  logger: Logger,
): Promise<void> {
  if (await ledger.segment(metadata.jobId, index)) return;
  const plan = await ledger.plan(metadata.jobId);
  if (!plan) return;
  await mergeAndRecordSegment(deps, ledger, metadata, plan.columns.length, totalChunks, index, logger);
}

async function mergeAndRecordSegment(
  deps: MergerDeps,
  ledger: Ledger,
  { jobId, tenantId }: { jobId: string; tenantId: string },
  width: number,
  totalChunks: number,
  index: number,
  logger: Logger,
): Promise<SegmentRecord> {
  const started = Date.now();
  const range = segmentChunks(index, totalChunks);
  const refs = segmentRefs(deps.config.resultsBucket, tenantId, jobId, index);
  const segment = await mergeSegment(deps.objects, width, { index, ...range }, ledger.chunks(jobId, range), refs);
  await ledger.recordSegment(jobId, segment);
  logger.info({ segment: index, chunks: range, rows: segment.rows, ms: Date.now() - started }, 'segment merged');
  return segment;
}

async function complete(deps: MergerDeps, ledger: Ledger, cause: DecodedEvent, logger: Logger): Promise<void> {
  const { jobId, tenantId } = cause.metadata;
  // Read at once: these are a small job's last wait beside a big one.
  const [plan, outcome, mergedFirst] = await Promise.all([ledger.plan(jobId), ledger.outcome(jobId), ledger.segment(jobId, 0)]);
  if (!plan) return; // job.planned.v1 has not arrived yet; it will complete the job.
  if (outcome?.status === 'completed') return;
  const bucket = deps.config.resultsBucket;
  const target = resultRef(bucket, tenantId, jobId, 0);
  const started = Date.now();
  const reviewTarget = reviewQueueRef(bucket, tenantId, jobId);
  // A job of one segment (up to 50 chunks) is written straight from its chunks unless that segment was merged already
  // (by an earlier version): a small job's completion is then a few requests, not a segment, a header and a compose.
  const direct = segmentCount(plan.chunks) === 1 && !mergedFirst;
  const { info, totals, review, model } = direct
    ? await mergeWholeResult(deps.objects, plan, ledger.chunks(jobId, { first: 0, end: plan.chunks }), { target, review: reviewTarget })
    : await composeSegments(deps, ledger, cause.metadata, plan, { target, review: reviewTarget }, logger);
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
  logger.info({ rows: totals.rows, bytes: info.sizeBytes, ms: Date.now() - started, direct }, 'job merged');
  if (direct) return;
  // The segments are in the result now. Only after the completion is recorded: until then a redelivery composes again.
  // Best effort: what is left expires with the job's other objects.
  await deps.objects.deletePrefix(bucket, mergePrefix(tenantId, jobId)).catch((error: unknown) => {
    logger.warn(
      { error: error instanceof Error ? error.message : String(error) },
      "the job's merged segments could not be deleted; they expire with the job",
    );
  });
}

/** The job's result composed from its merged segments, in order, merging on the way any not merged yet. */
function composeSegments(
  deps: MergerDeps,
  ledger: Ledger,
  metadata: { jobId: string; tenantId: string },
  plan: JobPlanRecord,
  refs: { target: ObjectRef; review: ObjectRef },
  logger: Logger,
): Promise<ComposedResult> {
  const { jobId, tenantId } = metadata;
  const merge = (index: number) => mergeAndRecordSegment(deps, ledger, metadata, plan.columns.length, plan.chunks, index, logger);
  const segments = (async function* () {
    let next = 0;
    for await (const segment of ledger.segments(jobId)) {
      for (; next < segment.index; next += 1) yield await merge(next);
      yield segment;
      next = segment.index + 1;
    }
    for (; next < segmentCount(plan.chunks); next += 1) yield await merge(next);
  })();
  const header = { bucket: refs.target.bucket, key: `${mergePrefix(tenantId, jobId)}header.csv` };
  return composeResult(deps.objects, plan, segments, { header, ...refs });
}
