import {
  chunkPlannedV1,
  createEvent,
  deriveEventId,
  followUpMetadata,
  isEventOf,
  jobPlannedV1,
  jobSubmittedV1,
  toPublishEntry,
  type DomainEvent,
} from '@refinery/events';
import { createEventSubscriptionHandler, type SqsBatchHandler, type SubscriptionIdentity } from '@refinery/runtime';
import type { ChunkerDeps } from '../config';
import { planJob } from '../domain/plan-job';

/**
 * job.submitted.v1 -> one chunk.planned.v1 per chunk, then job.planned.v1 with the totals. Event ids derive from the
 * submission, so a redelivered submission republishes the very same events (and consumers drop the copies).
 */
export function createPlanChunksHandler(deps: ChunkerDeps, subscription: SubscriptionIdentity): SqsBatchHandler {
  return createEventSubscriptionHandler({
    ...subscription,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      if (!isEventOf(event, jobSubmittedV1)) return;
      const { input, options } = event.data;
      const chunkRows = options.chunkRows ?? deps.config.defaultChunkRows;
      const plan = await planJob(deps.objects, input, options, { chunkRows, maxChunkBytes: deps.config.maxChunkBytes });
      const format = plan.header.format;
      const columns = plan.columns.map((column) => ({ index: column.index, name: column.name, field: column.field }));
      const now = (): string => deps.clock.now().toISOString();
      const inputRef = { bucket: input.bucket, key: input.key };

      const planned: DomainEvent[] = plan.chunks.map((chunk) =>
        createEvent(chunkPlannedV1, {
          service: 'chunker',
          metadata: { ...followUpMetadata(event, deriveEventId(event.metadata.eventId, chunkPlannedV1.type, chunk.index)), occurredAt: now() },
          data: {
            input: inputRef,
            chunk: { index: chunk.index, count: plan.chunks.length },
            range: { start: chunk.start, end: chunk.end },
            rows: { first: chunk.firstRow, count: chunk.rowCount, firstLine: chunk.firstLine },
            format,
            columns,
          },
        }),
      );
      for (let i = 0; i < planned.length; i += deps.config.publishBatchSize) {
        await deps.publisher.publish(planned.slice(i, i + deps.config.publishBatchSize).map(toPublishEntry));
      }
      const totals = createEvent(jobPlannedV1, {
        service: 'chunker',
        metadata: { ...followUpMetadata(event, deriveEventId(event.metadata.eventId, jobPlannedV1.type)), occurredAt: now() },
        data: { input: inputRef, format, columns, rows: { total: plan.rows }, chunks: { total: plan.chunks.length } },
      });
      await deps.publisher.publish([toPublishEntry(totals)]);
      logger.info({ rows: plan.rows, chunks: plan.chunks.length, delimiter: format.delimiter }, 'job planned');
    },
  });
}
