import {
  chunkPlannedV1,
  createEvent,
  type DomainEvent,
  deriveEventId,
  followUpMetadata,
  jobPlannedV1,
  LINKAGE_SAMPLE_ROWS,
  toPublishEntry,
} from '@refinery/events';
import { createEventSubscriptionHandler, type SubscriptionBinding } from '@refinery/runtime';
import type { ChunkerDeps } from '../config';
import { chunker } from '../definition';
import { laneOf } from '../domain/lane';
import { planJob } from '../domain/plan-job';
import { plannedChunkItem, storedPlan } from '../domain/plan-store';

/** Plan items per batchPut call (the adapter splits them further into DynamoDB's batches of 25). */
const STORE_BATCH = 500;
/** chunk.planned.v1 events per publish call (the publisher splits them further into PutEvents' batches of 10). */
const PUBLISH_BATCH = 100;

/**
 * job.submitted.v1 -> the job's lane decided (domain/lane.ts) and the whole plan stored (one chunk.planned.v1 per chunk,
 * carrying the lane, in the plans table), then the first `chunkWindow` chunk.planned.v1 published (a job of the
 * express lane: every one), then job.planned.v1 with the totals and the lane. The other chunks are released one by one as chunks
 * complete (handlers/release-chunks.ts). Event ids derive from the submission, so a redelivered
 * submission stores and republishes the very same events (and consumers drop the copies).
 *
 * The plan is stored before anything is published: a crash part-way leaves nothing a consumer has seen that the
 * redelivery would not complete. A redelivery keeps the lane and window the job was first planned with, so settings
 * changed by a deploy never apply to half a job.
 */
export function createPlanChunksHandler(deps: ChunkerDeps): SubscriptionBinding {
  return createEventSubscriptionHandler({
    subscription: chunker.subscriptions.jobs,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const { input, options } = event.data;
      const { jobId } = event.metadata;
      // Ingest refuses a larger chunkRows; jobs from elsewhere (Mailchimp audiences) and the default are held to it.
      const chunkRows = Math.min(options.chunkRows ?? deps.config.defaultChunkRows, deps.config.maxChunkRows);
      const plan = await planJob(deps.objects, input, options, {
        chunkRows,
        maxChunkBytes: deps.config.maxChunkBytes,
        maxRowBytes: deps.config.maxRowBytes,
        maxColumns: deps.config.maxColumns,
      });
      const format = plan.header.format;
      const columns = plan.columns.map((column) => ({ index: column.index, name: column.name, field: column.field }));
      const now = (): string => deps.clock.now().toISOString();
      const inputRef = { bucket: input.bucket, key: input.key };
      // A redelivery keeps the lane and window the job was first planned with (a deploy may have changed the settings).
      const stored = plan.chunks.length === 0 ? undefined : await storedPlan(deps.plans, jobId);
      const lane = stored?.lane ?? laneOf({ rows: plan.rows, chunks: plan.chunks.length }, deps.config);
      // An express job's window is all of it: every chunk released now, none left for release-chunks.
      const window = stored?.window ?? (lane === 'express' ? Math.max(1, plan.chunks.length) : deps.config.chunkWindow);

      // Every chunk names the job's first LINKAGE_SAMPLE_ROWS rows (the first chunks, whatever their size): the job's
      // linkage model learns from them, whichever chunk runs first, so chunking never changes a result.
      const first = plan.chunks[0];
      let sampleEnd = first;
      for (const chunk of plan.chunks) {
        sampleEnd = chunk;
        if (chunk.firstRow + chunk.rowCount >= LINKAGE_SAMPLE_ROWS) break;
      }
      const plannedEvent = (chunk: (typeof plan.chunks)[number]): DomainEvent<typeof chunkPlannedV1> => {
        return createEvent(chunkPlannedV1, {
          service: 'chunker',
          metadata: { ...followUpMetadata(event, deriveEventId(event.metadata.eventId, chunkPlannedV1.type, chunk.index)), occurredAt: now() },
          data: {
            input: inputRef,
            chunk: { index: chunk.index, count: plan.chunks.length },
            range: { start: chunk.start, end: chunk.end },
            rows: { first: chunk.firstRow, count: chunk.rowCount, firstLine: chunk.firstLine },
            format,
            columns,
            ...(options.thresholds ? { thresholds: options.thresholds } : {}),
            ...(first && sampleEnd
              ? {
                  sample: {
                    range: { start: first.start, end: sampleEnd.end },
                    rows: { first: first.firstRow, count: sampleEnd.firstRow + sampleEnd.rowCount - first.firstRow },
                  },
                }
              : {}),
            lane,
          },
        });
      };

      // 1. The whole plan, stored (events built a slice at a time: memory holds one slice, not every event).
      const released: DomainEvent[] = [];
      const expiresAt = Math.floor(deps.clock.now().getTime() / 1000) + deps.config.retentionDays * 86_400;
      for (let start = 0; start < plan.chunks.length; start += STORE_BATCH) {
        const events = plan.chunks.slice(start, start + STORE_BATCH).map(plannedEvent);
        await deps.plans.batchPut(events.map((planned) => plannedChunkItem(jobId, planned, window, expiresAt)));
        released.push(...events.filter((planned) => planned.data.chunk.index < window));
      }
      // 2. The first window of chunks, released.
      for (let i = 0; i < released.length; i += PUBLISH_BATCH) {
        await deps.publisher.publish(released.slice(i, i + PUBLISH_BATCH).map(toPublishEntry));
      }
      // 3. The totals.
      const totals = createEvent(jobPlannedV1, {
        service: 'chunker',
        metadata: { ...followUpMetadata(event, deriveEventId(event.metadata.eventId, jobPlannedV1.type)), occurredAt: now() },
        // The job's lane, as every one of its chunks carries it: the merger takes the totals on the same queue as the
        // job's labeled chunks.
        data: { input: inputRef, format, columns, rows: { total: plan.rows }, chunks: { total: plan.chunks.length }, lane },
      });
      await deps.publisher.publish([toPublishEntry(totals)]);
      logger.info(
        { rows: plan.rows, chunks: plan.chunks.length, lane, released: released.length, window, delimiter: format.delimiter },
        'job planned',
      );
    },
  });
}
