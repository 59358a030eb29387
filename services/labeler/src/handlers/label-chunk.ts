import { fromNdjson, type MatchedRow, toNdjson } from '@refinery/chunk-records';
import { chunkLabeledV1, createEvent, deriveEventId, followUpMetadata, toPublishEntry } from '@refinery/events';
import { createEventSubscriptionHandler, NonRetryableError, recordChunkDone, type SubscriptionBinding } from '@refinery/runtime';
import type { LabelerDeps } from '../config';
import { labeler } from '../definition';
import { emptyLabelCounts, labelRows, type OutcomeTally } from '../domain/label-rows';

/**
 * chunk.matched.v1 -> labels each row's fields, writes the labeled chunk, publishes chunk.labeled.v1 (with the chunk's
 * lane, for the merger's queues). Both of the labeler's lanes (`chunks`, `expressChunks`) run it.
 */
export function createLabelChunkHandler(
  deps: LabelerDeps,
  // Either lane's queue (the same work; failures name the subscription that gave up).
  subscription: typeof labeler.subscriptions.chunks | typeof labeler.subscriptions.expressChunks = labeler.subscriptions.chunks,
): SubscriptionBinding {
  return createEventSubscriptionHandler({
    subscription,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const startedAt = deps.clock.now();
      const { chunk, rows, result: matched, model, lane } = event.data;
      const counts = emptyLabelCounts();
      // Rows by outcome and how they matched, recorded once the chunk is labeled and announced (rowsProcessed).
      const outcomes: OutcomeTally = new Map();
      const result = {
        bucket: deps.config.chunksBucket,
        key: `tenants/${event.metadata.tenantId}/jobs/${event.metadata.jobId}/labeled/${String(chunk.index).padStart(9, '0')}.ndjson`,
      };
      const source = await deps.objects.get(matched);
      await deps.objects.put(result, toNdjson(labelRows(fromNdjson<MatchedRow>(source), counts, outcomes)), {
        contentType: 'application/x-ndjson',
      });
      if (counts.rows !== rows.count) {
        throw new NonRetryableError(`matched chunk ${chunk.index + 1} holds ${counts.rows} rows, its event says ${rows.count}`);
      }
      const { rows: _rows, ...matchCounts } = counts;
      const labeled = createEvent(chunkLabeledV1, {
        service: 'labeler',
        metadata: {
          ...followUpMetadata(event, deriveEventId(event.metadata.eventId, chunkLabeledV1.type)),
          occurredAt: deps.clock.now().toISOString(),
        },
        // The chunk's lane goes on to the merger's queue of the same lane; a chunk matched without one stays without (bulk).
        data: { chunk, rows, result, counts: matchCounts, ...(model ? { model } : {}), ...(lane ? { lane } : {}) },
      });
      await deps.publisher.publish([toPublishEntry(labeled)]);
      for (const { status, method, rows: count } of outcomes.values()) deps.metrics.record('rowsProcessed', count, { status, method });
      recordChunkDone(deps, 'labeler', startedAt);
      logger.info({ chunk: chunk.index, rows: counts.rows }, 'chunk labeled');
    },
  });
}
