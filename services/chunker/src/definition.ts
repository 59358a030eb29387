import { DEFAULT_CSV_LIMITS } from '@refinery/csv';
import { chunkMatchedV1, jobErasureRequestedV1, jobSubmittedV1 } from '@refinery/events';
import { defineService, retentionDaysSetting, setting } from '@refinery/runtime';
import { z } from 'zod';

/** The chunker: each submitted CSV planned as byte ranges on record boundaries, released a window at a time. */
export const chunker = defineService({
  name: 'chunker',
  description:
    "Streams each submitted CSV once, detects its format and header, plans chunks as byte ranges on record boundaries, and releases each job's chunks: a small job's all at once to the matcher's express lane, a bigger one's a window at a time.",
  tables: {
    // Every item is a job's and carries expiresAt (the retention period after the job was planned).
    plans: { description: 'Every planned chunk of each job (its chunk.planned.v1), released a window at a time.', timeToLiveAttribute: 'expiresAt' },
  },
  reads: {
    uploads: { description: 'job inputs uploaded to ingest', bucketParam: 'uploadsBucket' },
    mailchimpImports: { description: 'audience files assembled by mailchimp-sync', bucketParam: 'mailchimpImportsBucket' },
  },
  settings: {
    defaultChunkRows: setting(z.coerce.number().int().min(1).max(100_000), {
      description: 'rows per chunk when the job does not say',
      default: 1000,
    }),
    // The largest chunk the matcher finishes within its timeout at the providers' rate (docs/deploy.md, as ingest's):
    // the default, and any job's chunkRows (mailchimp-sync's audiences too), is held to it.
    maxChunkRows: setting(z.coerce.number().int().min(1).max(100_000), {
      description:
        "the most rows a chunk holds, whatever the job or defaultChunkRows say: what one matcher invocation looks up within its timeout at the providers' rate",
      default: 100_000,
    }),
    maxChunkBytes: setting(z.coerce.number().int().min(65_536), {
      description: 'a chunk also closes at this many bytes, so very wide rows cannot exhaust a matcher',
      default: 8 * 1024 * 1024,
    }),
    chunkWindow: setting(z.coerce.number().int().min(1).max(100_000), {
      description: 'chunks of one job of the bulk lane released to the matcher at a time',
      default: 8,
    }),
    // The express lane (docs/architecture.md, "Fairness"): a job this small has its chunks released all at once to the
    // matcher's own queue for small jobs, so it never waits behind a big job's window. 10,000 rows are 10 chunks at the
    // default 1,000 a chunk: one round of the express lane's default 10 containers, seconds of matching; a job of
    // more is big enough that waiting behind the windows of the running jobs is a small part of its time.
    expressMaxRows: setting(z.coerce.number().int().min(0).max(1_000_000), {
      description: "the most rows a job of the express lane has (all its chunks at once, on the matcher's expressChunks queue); 0: no express lane",
      default: 10_000,
    }),
    // ... and so few chunks (a job asking for tiny chunks is not small to the queue): at most two rounds of the lane.
    expressMaxChunks: setting(z.coerce.number().int().min(1).max(1000), {
      description: 'the most chunks a job of the express lane has (as well as at most expressMaxRows rows)',
      default: 20,
    }),
    // The CSV limits on the header (libs/csv CsvLimits), as ingest checks them: give both the same values.
    maxRowBytes: setting(
      z.coerce
        .number()
        .int()
        .min(1024)
        .max(64 * 1024 * 1024),
      {
        description: 'the most bytes one CSV record may take, the header included (the header is looked for within it)',
        default: DEFAULT_CSV_LIMITS.maxRowBytes,
      },
    ),
    maxColumns: setting(z.coerce.number().int().min(2).max(100_000), {
      description: 'the most columns a CSV header may name; a file with more fails',
      default: DEFAULT_CSV_LIMITS.maxColumns,
    }),
    retentionDays: retentionDaysSetting,
  },
  subscriptions: {
    jobs: {
      description:
        "A job's input is stored and checked (job.submitted.v1): plan its chunks, decide its lane, store the plan, release the first window (a small job's every chunk).",
      events: [jobSubmittedV1],
      queue: { visibilityTimeoutSeconds: 5400, maxReceiveCount: 3, batchSize: 1 },
      function: { timeoutSeconds: 900, memorySizeMb: 1024 },
    },
    progress: {
      description: "A chunk is matched (chunk.matched.v1): release the job's next planned chunk, one window further.",
      events: [chunkMatchedV1],
      redriveNote: "a redriven message releases the job's next chunk",
      queue: { visibilityTimeoutSeconds: 180, maxReceiveCount: 5, batchSize: 10 },
      function: { timeoutSeconds: 30, memorySizeMb: 512 },
    },
    erasure: {
      description:
        "A job's data is to be erased (job-erasure.requested.v1): delete the job's stored plan (its planned chunks), then answer job-data.erased.v1.",
      events: [jobErasureRequestedV1],
      // Erasing never fails a job (its owner asked for it to go, or it expired): retried, then dead-lettered for an operator.
      reportsStageFailures: false,
      redriveNote: "erases what is left of the job's data and answers job-data.erased.v1",
      queue: { visibilityTimeoutSeconds: 5400, maxReceiveCount: 5, batchSize: 1 },
      function: { timeoutSeconds: 900, memorySizeMb: 512 },
    },
  },
});
