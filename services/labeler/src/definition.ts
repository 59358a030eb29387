import { chunkMatchedV1, jobErasureRequestedV1 } from '@refinery/events';
import { defineService, REDRIVE_WINDOW_DAYS } from '@refinery/runtime';

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
  subscriptions: {
    chunks: {
      description: 'A chunk is matched (chunk.matched.v1): label its fields.',
      events: [chunkMatchedV1],
      queue: { visibilityTimeoutSeconds: 720, maxReceiveCount: 5, batchSize: 1 },
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
