import { chunkLabeledV1, jobErasureRequestedV1, jobPlannedV1, reviewDecidedV1, stageFailedV1 } from '@refinery/events';
import { defineService, EXPRESS_LANE_OLDEST_MESSAGE_ALARM_SECONDS, retentionDaysSetting, setting } from '@refinery/runtime';
import { z } from 'zod';

/**
 * The express lane's containers by default, as the labeler's (services/labeler/src/definition.ts): the labeler's express
 * lane hands on at most 10 labeled chunks at once, and the merger takes up to 10 a batch, so 10 containers keep up with it
 * and compose 10 small jobs' results at once.
 */
export const EXPRESS_MAXIMUM_CONCURRENCY = 10;

/** The merger: each chunk's completion recorded once, a finished job merged in row order, failed jobs ended. */
export const merger = defineService({
  name: 'merger',
  description:
    "Records each chunk's completion once, merges a job's chunks in row order, segment by segment, into one result CSV (and its review queue), writes a new version of it per review decision, and decides when a job has failed.",
  buckets: {
    results: { description: 'Bucket of result files (ingest presigns downloads from it).', expireAfterDays: 'retentionDays' },
  },
  tables: {
    // Every item is a job's and carries expiresAt (the retention period after it was written).
    ledger: { description: 'Job plans, chunk completions, completion shards, merged segments and outcomes.', timeToLiveAttribute: 'expiresAt' },
  },
  settings: {
    retentionDays: retentionDaysSetting,
    // SQS's least and most for an event source's maximum concurrency.
    expressMaximumConcurrency: setting(z.coerce.number().int().min(2).max(1000), {
      description:
        "the most `expressProgress` invocations at once (small jobs' totals and labeled chunks, beside the `progress` ones), 2 to 1,000 (docs/deploy.md)",
      default: EXPRESS_MAXIMUM_CONCURRENCY,
    }),
  },
  reads: {
    labeledChunks: { description: "the labeler's chunks, named by chunk.labeled.v1", bucketParam: 'labelerChunksBucket' },
    // Copied beside a job's review queue when it has one.
    jobModels: { description: "the matcher's linkage models of jobs, named by chunk.labeled.v1", bucketParam: 'matcherChunksBucket' },
  },
  subscriptions: {
    // Two queues for the same events, split by the lane the chunker gave the job (job.planned.v1 carries it, and each
    // chunk.labeled.v1 carries it on from its chunk.planned.v1): a small job's events never queue behind a big job's, and
    // a job's totals and chunks always share a queue (docs/architecture.md, "Fairness"). Events of earlier versions have
    // no lane: bulk.
    progress: {
      description:
        'Totals of a job of the bulk lane (job.planned.v1) and its labeled chunks (chunk.labeled.v1): record them; merge each segment of 50 chunks once it is in, and compose the result when every chunk is in.',
      events: [jobPlannedV1, chunkLabeledV1],
      dataPattern: { lane: ['bulk', { exists: false }] },
      queue: { visibilityTimeoutSeconds: 5400, maxReceiveCount: 5, batchSize: 10 },
      function: { timeoutSeconds: 900, memorySizeMb: 1024 },
    },
    expressProgress: {
      description:
        'Totals of a small job (the express lane; job.planned.v1) and its labeled chunks (chunk.labeled.v1): record them and compose the result, as `progress` does.',
      events: [jobPlannedV1, chunkLabeledV1],
      dataPattern: { lane: ['express'] },
      queue: {
        visibilityTimeoutSeconds: 5400,
        maxReceiveCount: 5,
        batchSize: 10,
        maximumConcurrencySetting: 'expressMaximumConcurrency',
        oldestMessageAlarmSeconds: EXPRESS_LANE_OLDEST_MESSAGE_ALARM_SECONDS,
      },
      function: { timeoutSeconds: 900, memorySizeMb: 1024 },
    },
    reviews: {
      description: 'A person decided a row in review (review.decided.v1): write the next version of the result file.',
      events: [reviewDecidedV1],
      // A decision that cannot be applied never fails the job: it is done; the decision stays in its history.
      reportsStageFailures: false,
      redriveNote: 'writes the result version the decision makes, once the version before it exists',
      queue: { visibilityTimeoutSeconds: 1800, maxReceiveCount: 10, batchSize: 1 },
      function: { timeoutSeconds: 300, memorySizeMb: 1024 },
    },
    failures: {
      description: "A pipeline stage gave up on a job's message (stage.failed.v1): end the job failed, with the reason.",
      events: [stageFailedV1],
      // Not the notifier: a webhook that cannot be delivered never fails a job that is already done. `operator`: an
      // operator failing a stuck job by hand (`refinery jobs fail`).
      from: ['ingest', 'chunker', 'matcher', 'labeler', 'merger', 'mailchimp-sync', 'operator'],
      queue: { visibilityTimeoutSeconds: 180, maxReceiveCount: 5, batchSize: 10 },
      function: { timeoutSeconds: 30, memorySizeMb: 512 },
    },
    erasure: {
      description:
        "A job's data is to be erased (job-erasure.requested.v1): delete the job's result files (every version), review queue and its model, and ledger items, then answer job-data.erased.v1.",
      events: [jobErasureRequestedV1],
      // Erasing never fails a job (its owner asked for it to go, or it expired): retried, then dead-lettered for an operator.
      reportsStageFailures: false,
      redriveNote: "erases what is left of the job's data and answers job-data.erased.v1",
      queue: { visibilityTimeoutSeconds: 5400, maxReceiveCount: 5, batchSize: 1 },
      function: { timeoutSeconds: 900, memorySizeMb: 512 },
    },
  },
});
