import { chunkMatchedV1, jobErasureRequestedV1 } from '@refinery/events';
import { defineService, EXPRESS_LANE_OLDEST_MESSAGE_ALARM_SECONDS, REDRIVE_WINDOW_DAYS, setting } from '@refinery/runtime';
import { z } from 'zod';

/**
 * The express lane's containers by default, as the matcher's (services/matcher/src/definition.ts): an express job has at
 * most 10,000 rows, 10 chunks at the default 1,000 rows a chunk, so 10 containers label one in a single round.
 */
export const EXPRESS_MAXIMUM_CONCURRENCY = 10;

/** The labeler: every field of every matched row labeled confirmed, old, new, unverified or empty. */
export const labeler = defineService({
  name: 'labeler',
  description: "Labels every canonical field of every matched row: confirmed, old, new, unverified or empty, with the provider's latest value.",
  buckets: {
    // Labeled chunks live until the merger has merged them; they outlive the redrive window by a day.
    chunks: { description: 'Bucket of labeled chunks (read by reference by the merger).', expireAfterDays: REDRIVE_WINDOW_DAYS + 1 },
  },
  reads: {
    matchedChunks: { description: "the matcher's chunks, named by chunk.matched.v1", bucketParam: 'matcherChunksBucket' },
  },
  settings: {
    // SQS's least and most for an event source's maximum concurrency.
    expressMaximumConcurrency: setting(z.coerce.number().int().min(2).max(1000), {
      description:
        "the most `expressChunks` invocations at once (small jobs' chunks, beside the `chunks` ones), 2 to 1,000: a small job's chunks at once (docs/deploy.md)",
      default: EXPRESS_MAXIMUM_CONCURRENCY,
    }),
  },
  subscriptions: {
    // Two queues for one event type, split by the lane the matcher carried on from the chunker: a small job's chunks never
    // queue behind a big job's (docs/architecture.md, "Fairness"). Events of earlier versions have no lane: bulk.
    chunks: {
      description: 'A chunk of a job of the bulk lane is matched (chunk.matched.v1): label its fields.',
      events: [chunkMatchedV1],
      dataPattern: { lane: ['bulk', { exists: false }] },
      queue: { visibilityTimeoutSeconds: 720, maxReceiveCount: 5, batchSize: 1 },
      function: { timeoutSeconds: 120, memorySizeMb: 1024 },
    },
    expressChunks: {
      description: 'A chunk of a small job (the express lane) is matched (chunk.matched.v1): label its fields, as `chunks` does.',
      events: [chunkMatchedV1],
      dataPattern: { lane: ['express'] },
      queue: {
        visibilityTimeoutSeconds: 720,
        maxReceiveCount: 5,
        batchSize: 1,
        maximumConcurrencySetting: 'expressMaximumConcurrency',
        oldestMessageAlarmSeconds: EXPRESS_LANE_OLDEST_MESSAGE_ALARM_SECONDS,
      },
      function: { timeoutSeconds: 120, memorySizeMb: 1024 },
    },
    erasure: {
      description: "A job's data is to be erased (job-erasure.requested.v1): delete the job's labeled chunks, then answer job-data.erased.v1.",
      events: [jobErasureRequestedV1],
      // Erasing never fails a job (its owner asked for it to go, or it expired): retried, then dead-lettered for an operator.
      reportsStageFailures: false,
      redriveNote: "erases what is left of the job's data and answers job-data.erased.v1",
      queue: { visibilityTimeoutSeconds: 5400, maxReceiveCount: 5, batchSize: 1 },
      function: { timeoutSeconds: 900, memorySizeMb: 512 },
    },
  },
});
