import { DEFAULT_CSV_LIMITS } from '@refinery/csv';
import { chunkPlannedV1, jobErasureRequestedV1 } from '@refinery/events';
import { DEFAULT_PROVIDER_CHAIN, MAX_MAXIMUM_CONCURRENCY, MIN_MAXIMUM_CONCURRENCY, sizeProviderChain } from '@refinery/providers';
import { defineService, EXPRESS_LANE_OLDEST_MESSAGE_ALARM_SECONDS, REDRIVE_WINDOW_DAYS, setting } from '@refinery/runtime';
import { z } from 'zod';

/** The `chunks` function's timeout: the chunk-size limit is planned against it (sizeProviderChain). */
export const MATCH_CHUNK_TIMEOUT_SECONDS = 900;

/**
 * The figures of the packaged provider chain (the `providers` setting's default): the default of the event source's
 * maximum concurrency, and the largest chunk ingest and the chunker should allow (their `maxChunkRows`).
 */
export const PACKAGED_CHAIN_SIZING = sizeProviderChain(DEFAULT_PROVIDER_CHAIN, { timeoutSeconds: MATCH_CHUNK_TIMEOUT_SECONDS });

/**
 * The express lane's containers by default: a tenth of the packaged chain's (10 of 100), at least SQS's least. An
 * express job has at most the chunker's expressMaxRows (10,000) rows, 10 chunks at the default 1,000 rows a chunk, so
 * 10 containers take one in a single round while it is a small share of what the bulk lane has.
 */
export const EXPRESS_MAXIMUM_CONCURRENCY = Math.max(MIN_MAXIMUM_CONCURRENCY, Math.ceil(PACKAGED_CHAIN_SIZING.maximumConcurrency / 10));

/** The matcher: each chunk's rows validated, standardized and matched against the provider chain. */
export const matcher = defineService({
  name: 'matcher',
  description: "Reads one chunk's byte range, validates and standardizes each row, asks the provider for candidates and decides the match.",
  buckets: {
    // Matched chunks live until the labeler has labeled them; they outlive the redrive window by a day.
    chunks: { description: 'Bucket of matched chunks (read by reference by the labeler).', expireAfterDays: REDRIVE_WINDOW_DAYS + 1 },
  },
  tables: {
    nicknames: { description: 'The nickname table (npm run seed:nicknames), loaded at cold start.' },
    providerLimits: {
      description: "Each HTTP provider's send schedule, shared by every matcher container so that together they keep its requestsPerSecond.",
    },
  },
  reads: {
    uploads: { description: 'job inputs uploaded to ingest', bucketParam: 'uploadsBucket' },
    mailchimpImports: { description: 'audience files assembled by mailchimp-sync', bucketParam: 'mailchimpImportsBucket' },
    directory: {
      description: "the directory provider's CSV, the one object the operator uploads",
      object: { bucketSetting: 'directoryBucket', keySetting: 'directoryKey' },
    },
  },
  settings: {
    directoryBucket: setting(
      z
        .string()
        .regex(/^[a-zA-Z0-9._-]{3,255}$/, 'a bucket name')
        .optional(),
      {
        description: "the bucket of the directory provider's CSV (needed when PROVIDERS uses the directory)",
      },
    ),
    directoryKey: setting(z.string().min(1, 'the key of the directory CSV').optional(), {
      description: "the key of the directory provider's CSV (needed when PROVIDERS uses the directory)",
    }),
    defaultRegion: setting(z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166 alpha-2 country code'), {
      description: 'the country of phone numbers written without a country code',
      default: 'US',
    }),
    lookupBatchSize: setting(z.coerce.number().int().min(1).max(10_000), { description: 'rows sent to a provider per look-up call', default: 200 }),
    // The CSV limits (libs/csv CsvLimits) on data rows: a row over them is an invalid row with the reason, never a
    // failed chunk. Give maxRowBytes the value ingest and the chunker have.
    maxRowBytes: setting(
      z.coerce
        .number()
        .int()
        .min(1024)
        .max(64 * 1024 * 1024),
      {
        description: 'the most bytes one CSV record may take; a row over it is invalid and its values are not copied',
        default: DEFAULT_CSV_LIMITS.maxRowBytes,
      },
    ),
    maxFieldBytes: setting(
      z.coerce
        .number()
        .int()
        .min(256)
        .max(64 * 1024 * 1024),
      {
        description: 'the most bytes one CSV value may hold (at most maxRowBytes); a row with a longer one is invalid and that value left empty',
        default: DEFAULT_CSV_LIMITS.maxFieldBytes,
      },
    ),
    providers: setting(z.string(), { description: 'the provider chain, JSON (docs/matching.md)', default: JSON.stringify(DEFAULT_PROVIDER_CHAIN) }),
    maximumConcurrency: setting(z.coerce.number().int().min(MIN_MAXIMUM_CONCURRENCY).max(MAX_MAXIMUM_CONCURRENCY), {
      description:
        "the most `chunks` invocations at once (the SQS event source's maximum concurrency), 2 to 1,000: enough containers to use the remote providers' requestsPerSecond, no more (docs/deploy.md)",
      default: PACKAGED_CHAIN_SIZING.maximumConcurrency,
    }),
    expressMaximumConcurrency: setting(z.coerce.number().int().min(MIN_MAXIMUM_CONCURRENCY).max(MAX_MAXIMUM_CONCURRENCY), {
      description:
        "the most `expressChunks` invocations at once (small jobs' chunks, beside the `chunks` ones), 2 to 1,000: a small job's chunks at once; the provider's rate and chunk size count both (docs/deploy.md)",
      default: EXPRESS_MAXIMUM_CONCURRENCY,
    }),
    pdlApiKey: setting(z.string(), { description: "People Data Labs' API key, for a chain that names PDL_API_KEY", default: '', secret: true }),
  },
  subscriptions: {
    // Two queues for one event type, split by the lane the chunker gave the job: a small job's chunks never queue behind
    // a big job's (docs/architecture.md, "Fairness"). Events of earlier versions have no lane: bulk.
    chunks: {
      description: 'A chunk of a job of the bulk lane is planned (chunk.planned.v1): match its rows.',
      events: [chunkPlannedV1],
      dataPattern: { lane: ['bulk', { exists: false }] },
      queue: { visibilityTimeoutSeconds: 5400, maxReceiveCount: 5, batchSize: 1, maximumConcurrencySetting: 'maximumConcurrency' },
      function: { timeoutSeconds: MATCH_CHUNK_TIMEOUT_SECONDS, memorySizeMb: 2048 },
    },
    expressChunks: {
      description: 'A chunk of a small job (the express lane) is planned (chunk.planned.v1): match its rows, as `chunks` does.',
      events: [chunkPlannedV1],
      dataPattern: { lane: ['express'] },
      queue: {
        visibilityTimeoutSeconds: 5400,
        maxReceiveCount: 5,
        batchSize: 1,
        maximumConcurrencySetting: 'expressMaximumConcurrency',
        oldestMessageAlarmSeconds: EXPRESS_LANE_OLDEST_MESSAGE_ALARM_SECONDS,
      },
      function: { timeoutSeconds: MATCH_CHUNK_TIMEOUT_SECONDS, memorySizeMb: 2048 },
    },
    erasure: {
      description:
        "A job's data is to be erased (job-erasure.requested.v1): delete the job's matched chunks, kept provider answers and linkage model, then answer job-data.erased.v1.",
      events: [jobErasureRequestedV1],
      // Erasing never fails a job (its owner asked for it to go, or it expired): retried, then dead-lettered for an operator.
      reportsStageFailures: false,
      redriveNote: "erases what is left of the job's data and answers job-data.erased.v1",
      queue: { visibilityTimeoutSeconds: 5400, maxReceiveCount: 5, batchSize: 1 },
      function: { timeoutSeconds: 900, memorySizeMb: 512 },
    },
  },
});
