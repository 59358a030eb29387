import { z } from 'zod';
import {
  chunkPositionSchema,
  columnSchema,
  csvFormatSchema,
  jobOptionsSchema,
  matchCountsSchema,
  matchMethodCountsSchema,
  matchMethodSchema,
  matchThresholdsSchema,
  objectRefSchema,
  rowRangeSchema,
  rowStatusCountsSchema,
  sizedObjectRefSchema,
} from './common';
import { defineEventType, type EventType } from './event-type';

const exampleColumns = [
  { index: 0, name: 'First Name', field: 'first_name' as const },
  { index: 1, name: 'Last Name', field: 'last_name' as const },
  { index: 2, name: 'Email', field: 'email' as const },
  { index: 3, name: 'Notes', field: null },
];
const exampleInput = { bucket: 'ingest-uploads', key: 'tenants/acme/jobs/job_01JD0000000000000000000000/input.csv' };
const exampleCounts = { matched: 812, unmatched: 170, invalid: 18, byMethod: { exact: 640, fuzzy: 121, nickname: 51 } };

export const jobCreatedV1 = defineEventType({
  type: 'job.created.v1',
  producer: ['ingest', 'mailchimp-sync'],
  description:
    'A job was accepted; its input file is (or will be, for presigned uploads and Mailchimp audiences) at `input`. ' +
    'ingest creates jobs for files and single contacts, mailchimp-sync for audiences and Mailchimp webhooks.',
  data: z.object({
    filename: z.string().describe('The name the user gave the file (for an audience: mailchimp-<list id>.csv).'),
    upload: z
      .enum(['body', 'presigned', 'mailchimp'])
      .describe('How the file arrives: in the request body, by a presigned PUT, or fetched from Mailchimp by mailchimp-sync.'),
    input: objectRefSchema,
    options: jobOptionsSchema,
  }),
  example: { filename: 'customers.csv', upload: 'presigned', input: exampleInput, options: { chunkRows: 1000 } },
});

export const jobSubmittedV1 = defineEventType({
  type: 'job.submitted.v1',
  producer: ['ingest', 'mailchimp-sync'],
  description: "The job's input file is stored and looks like a CSV with a usable header: planning can start.",
  data: z.object({
    filename: z.string(),
    input: sizedObjectRefSchema,
    options: jobOptionsSchema,
  }),
  example: { filename: 'customers.csv', input: { ...exampleInput, sizeBytes: 183_204 }, options: { chunkRows: 1000 } },
});

/**
 * The matcher's, the labeler's and the merger's two queues for a job's events: small jobs go express, so they never
 * queue behind a big job's chunks (docs/architecture.md, "Fairness").
 */
export const chunkLaneSchema = z.enum(['express', 'bulk']);
export type ChunkLane = z.infer<typeof chunkLaneSchema>;

export const chunkPlannedV1 = defineEventType({
  type: 'chunk.planned.v1',
  producer: 'chunker',
  description: 'One chunk of the input: a byte range that starts and ends on record boundaries, with what is needed to parse it.',
  data: z.object({
    input: objectRefSchema,
    chunk: chunkPositionSchema,
    range: z.object({ start: z.number().int().min(0), end: z.number().int().min(0) }).describe('Byte range in the input object, end exclusive.'),
    rows: rowRangeSchema.extend({ firstLine: z.number().int().min(1).describe('Physical line where the range starts.') }),
    format: csvFormatSchema,
    columns: z.array(columnSchema),
    thresholds: matchThresholdsSchema.optional().describe("The job's thresholds when it set its own."),
    sample: z
      .object({
        range: z.object({ start: z.number().int().min(0), end: z.number().int().min(0) }),
        rows: rowRangeSchema,
      })
      .optional()
      .describe("The job's first chunk: the rows its linkage model learns from, the same for every chunk."),
    lane: chunkLaneSchema
      .optional()
      .describe(
        "The matcher's queue it goes to, decided by the chunker for the whole job: `express` for a small job (its chunks all released at once), `bulk` for the rest (a window at a time). Absent (events of earlier versions): bulk.",
      ),
  }),
  example: {
    input: exampleInput,
    chunk: { index: 2, count: 5 },
    range: { start: 104_857, end: 157_301 },
    rows: { first: 2000, count: 1000, firstLine: 2002 },
    format: { delimiter: ',', encoding: 'utf-8', hasBom: false },
    columns: exampleColumns,
    lane: 'bulk',
  },
});

export const jobPlannedV1 = defineEventType({
  type: 'job.planned.v1',
  producer: 'chunker',
  description: "The job's totals, once every chunk has been planned.",
  data: z.object({
    input: objectRefSchema,
    format: csvFormatSchema,
    columns: z.array(columnSchema),
    rows: z.object({ total: z.number().int().min(0) }),
    chunks: z.object({ total: z.number().int().min(0) }),
    lane: chunkLaneSchema
      .optional()
      .describe(
        "The merger's queue it goes to: the lane the chunker gave the job, the same as every chunk.planned.v1 of the job carries (so the job's chunk.labeled.v1 go to the same queue). Absent (events of earlier versions): bulk.",
      ),
  }),
  example: {
    input: exampleInput,
    format: { delimiter: ',', encoding: 'utf-8', hasBom: true },
    columns: exampleColumns,
    rows: { total: 4321 },
    chunks: { total: 5 },
    lane: 'bulk',
  },
});

/** What a stage hands on for one chunk: which rows, where their results are, and how they came out. */
const chunkResultSchema = z.object({
  chunk: chunkPositionSchema,
  rows: rowRangeSchema,
  result: objectRefSchema,
  counts: matchCountsSchema,
  model: objectRefSchema.optional().describe("The job's linkage model the rows were matched with (the matcher's; passed on by the labeler)."),
});

export const chunkMatchedV1 = defineEventType({
  type: 'chunk.matched.v1',
  producer: 'matcher',
  description: 'Every row of a chunk was validated, standardized and matched; the per-row results are in `result` (NDJSON).',
  data: chunkResultSchema.extend({
    lane: chunkLaneSchema
      .optional()
      .describe(
        "The labeler's queue it goes to: the lane of the chunk.planned.v1 it was matched from (`express` for a small job, `bulk` for the rest). Absent (events of earlier versions, or of a chunk planned without a lane): bulk.",
      ),
  }),
  example: {
    chunk: { index: 2, count: 5 },
    rows: { first: 2000, count: 1000 },
    result: { bucket: 'matcher-chunks', key: 'tenants/acme/jobs/job_01JD0000000000000000000000/matched/000000002.ndjson' },
    counts: exampleCounts,
    lane: 'bulk',
  },
});

export const chunkLabeledV1 = defineEventType({
  type: 'chunk.labeled.v1',
  producer: 'labeler',
  description: 'Every canonical field of every row of a chunk was labeled; the labeled rows are in `result` (NDJSON).',
  data: chunkResultSchema.extend({
    lane: chunkLaneSchema
      .optional()
      .describe(
        "The merger's queue it goes to: the lane of the chunk.matched.v1 it was labeled from (`express` for a small job, `bulk` for the rest). Absent (events of earlier versions, or of a chunk matched without a lane): bulk.",
      ),
  }),
  example: {
    chunk: { index: 2, count: 5 },
    rows: { first: 2000, count: 1000 },
    result: { bucket: 'labeler-chunks', key: 'tenants/acme/jobs/job_01JD0000000000000000000000/labeled/000000002.ndjson' },
    counts: exampleCounts,
    lane: 'bulk',
  },
});

export const jobCompletedV1 = defineEventType({
  type: 'job.completed.v1',
  producer: 'merger',
  description: 'Every chunk was merged, in the original row order, into one result CSV.',
  data: z.object({
    result: sizedObjectRefSchema.extend({ contentType: z.string() }),
    rows: z.object({ total: z.number().int().min(0) }).extend(rowStatusCountsSchema.shape),
    byMethod: matchMethodCountsSchema,
    chunks: z.object({ total: z.number().int().min(0) }),
    review: z
      .object({ items: objectRefSchema, count: z.number().int().min(1) })
      .optional()
      .describe("The job's review queue (NDJSON, one row in review per line), when rows wait in it."),
  }),
  example: {
    result: {
      bucket: 'merger-results',
      key: 'tenants/acme/jobs/job_01JD0000000000000000000000/result.csv',
      sizeBytes: 902_117,
      contentType: 'text/csv; charset=utf-8',
    },
    rows: { total: 4321, matched: 3511, unmatched: 735, invalid: 75 },
    byMethod: { exact: 2790, fuzzy: 503, nickname: 218 },
    chunks: { total: 5 },
  },
});

const failedStageSchema = z.object({
  service: z.string().describe('The service whose work failed.'),
  subscription: z.string().describe("The service's subscription (queue) that received the failed message."),
  eventType: z.string().describe('detail-type of the message that could not be processed.'),
  eventId: z.string().describe('eventId of the message that could not be processed.'),
});

const contactFieldsSchema = z.record(z.string(), z.string()).describe('Standardized contact fields (canonical field -> value).');

export const reviewDecidedV1 = defineEventType({
  type: 'review.decided.v1',
  producer: 'ingest',
  description:
    "A person decided a row of a completed job's review queue: the candidate proposed is the contact (accept) or is not " +
    "(reject). `version` numbers the job's decisions from 1: the merger writes result version N from version N - 1 and " +
    "this decision, and the matcher's model of the job learns from the pair.",
  data: z.object({
    row: z.number().int().min(0).describe('0-based data row of the result file.'),
    decision: z.enum(['accept', 'reject']),
    version: z.number().int().min(1).describe("The job's result version this decision makes (1 for the first decision)."),
    candidateId: z.string(),
    method: matchMethodSchema,
    score: z.number().min(0).max(1).describe('The match probability the matcher gave the pair.'),
    contact: contactFieldsSchema,
    candidate: contactFieldsSchema,
    comparison: z
      .object({ levels: z.array(z.number().int().min(-1)), namesSwapped: z.boolean() })
      .describe("The pair's comparison vector (one level per comparison of the linkage model, -1 when missing)."),
  }),
  example: {
    row: 41,
    decision: 'accept',
    version: 3,
    candidateId: 'P001011',
    method: 'fuzzy',
    score: 0.7018,
    contact: { first_name: 'Caron', last_name: 'Mercer', email: 'caron@mercer.example' },
    candidate: { first_name: 'Caron', last_name: 'Mercer', email: 'cmercer@mail.example' },
    comparison: { levels: [0, 0, -1, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1], namesSwapped: false },
  },
});

export const stageFailedV1 = defineEventType({
  type: 'stage.failed.v1',
  producer: '*',
  description:
    'A service gave up on one message of a job: either the failure is permanent (bad input), or the message was received ' +
    'maxReceiveCount times and goes to the dead-letter queue. Published by the service that failed (source refinery.<service>).',
  data: failedStageSchema.extend({
    reason: z.string().describe('Why, in words, for the user.'),
    retryable: z.boolean().describe('false for bad input that no retry can fix; true when retries ran out.'),
    attempts: z.number().int().min(1),
    chunk: z.object({ index: z.number().int().min(0) }).optional(),
    rows: rowRangeSchema.optional().describe('The data rows affected, when the message was about a chunk.'),
  }),
  example: {
    service: 'matcher',
    subscription: 'chunks',
    eventType: 'chunk.planned.v1',
    eventId: '1d9c6c1e-7d0e-5b55-9a8e-3f2b1a0c9d8e',
    reason: 'directory provider unavailable: connect ECONNREFUSED 10.0.0.7:443',
    retryable: true,
    attempts: 5,
    chunk: { index: 2 },
    rows: { first: 2000, count: 1000 },
  },
});

export const jobFailedV1 = defineEventType({
  type: 'job.failed.v1',
  producer: 'merger',
  description: 'The job cannot complete: a stage failed for good. `reason` says why in words; `rows` says which rows were affected.',
  data: z.object({
    reason: z.string(),
    stage: failedStageSchema,
    chunk: z.object({ index: z.number().int().min(0) }).optional(),
    rows: rowRangeSchema.optional(),
  }),
  example: {
    reason: 'matcher gave up on chunk 3 (rows 2001-3000) after 5 attempts: directory provider unavailable',
    stage: { service: 'matcher', subscription: 'chunks', eventType: 'chunk.planned.v1', eventId: '1d9c6c1e-7d0e-5b55-9a8e-3f2b1a0c9d8e' },
    chunk: { index: 2 },
    rows: { first: 2000, count: 1000 },
  },
});

/** A job's public state, as ingest's `GET /jobs/{id}` answers it and `job.progressed.v1` carries it. */
export const jobViewSchema = z
  .object({
    jobId: z.string().min(1),
    status: z.enum(['accepted', 'running', 'completed', 'failed']),
    filename: z.string(),
    rows: z
      .object({ total: z.number().int().min(0).describe('0 until the job is planned.'), done: z.number().int().min(0) })
      .extend(rowStatusCountsSchema.shape),
    byMethod: matchMethodCountsSchema.describe(
      "Matched rows by method: summed over the labeled chunks while running, the merger's final figures once completed.",
    ),
    chunks: z.object({ total: z.number().int().min(0), done: z.number().int().min(0) }),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
    error: z.object({ reason: z.string(), rows: rowRangeSchema.optional() }).nullable().describe('Why the job failed (null unless failed).'),
    review: z
      .object({
        total: z.number().int().min(0).describe('Rows that went to the review queue.'),
        pending: z.number().int().min(0).describe('Rows still waiting for a decision.'),
        accepted: z.number().int().min(0),
        rejected: z.number().int().min(0),
        version: z.number().int().min(0).describe("The result file's latest version: the number of decisions made."),
      })
      .optional()
      .describe("The job's review queue, once completed with rows in it (GET /jobs/{id}/review)."),
    paused: z
      .object({
        reason: z.string().describe('What is wrong, where, and what to do (e.g. no space left in the data dir: free space there).'),
        since: z.string().describe('When work stopped (ISO 8601).'),
      })
      .optional()
      .describe(
        'Work on the job is paused by a fault of the machine, not of the job: on the local mode, its data dir is full or ' +
          'cannot be written. Nothing is lost, no retry is spent, and work resumes by itself once writes succeed again. ' +
          'Absent otherwise (and on a completed or failed job).',
      ),
    version: z
      .number()
      .int()
      .min(1)
      .describe("How many distinct events the job's history held when this view was read: a larger version is a newer state."),
  })
  .describe("A job's public state.");

export type JobViewData = z.infer<typeof jobViewSchema>;

export const jobProgressedV1 = defineEventType({
  type: 'job.progressed.v1',
  producer: 'ingest',
  description:
    "A snapshot of a job's public state (what `GET /jobs/{id}` answers), published by ingest as the job's history grows: " +
    'at most one per job per PROGRESS_INTERVAL_MS (250 ms by default), and always for the latest state. Snapshots may ' +
    'arrive out of order or twice: keep the one with the highest `job.version`.',
  data: z.object({ job: jobViewSchema }),
  example: {
    job: {
      jobId: 'job_01JD0000000000000000000000',
      status: 'running',
      filename: 'customers.csv',
      rows: { total: 4321, done: 3000, matched: 2436, unmatched: 511, invalid: 53 },
      byMethod: { exact: 1930, fuzzy: 352, nickname: 154 },
      chunks: { total: 5, done: 3 },
      createdAt: '2026-11-28T12:00:00.000Z',
      completedAt: null,
      error: null,
      version: 6,
    },
  },
});

export const mailchimpImportRequestedV1 = defineEventType({
  type: 'mailchimp-import.requested.v1',
  producer: 'mailchimp-sync',
  description:
    'A Mailchimp audience import was accepted (its job is created): mailchimp-sync plans the page ranges. The API key ' +
    "is never in an event: `apiKeyRef` names it in mailchimp-sync's encrypted key store.",
  data: z.object({
    listId: z.string().min(1),
    apiKeyRef: z.string().min(1).describe("A reference to the API key in mailchimp-sync's key store, never the key."),
    snapshotAt: z.iso.datetime({ offset: true }).describe('Members who opted in after this are not part of the import.'),
    writeBack: z.boolean().describe('Write confirmed and new values back to Mailchimp when the job completes.'),
  }),
  example: { listId: 'a1b2c3d4e5', apiKeyRef: 'mck_01JD0000000000000000000000', snapshotAt: '2026-11-28T12:00:00.000Z', writeBack: false },
});

export const mailchimpPageRequestedV1 = defineEventType({
  type: 'mailchimp-page.requested.v1',
  producer: 'mailchimp-sync',
  description: 'One page range of an audience to fetch (`count` <= 1000 members from `offset`, in opt-in order).',
  data: z.object({
    listId: z.string().min(1),
    apiKeyRef: z.string().min(1),
    snapshotAt: z.iso.datetime({ offset: true }),
    page: chunkPositionSchema,
    offset: z.number().int().min(0),
    count: z.number().int().min(1).max(1000),
  }),
  example: {
    listId: 'a1b2c3d4e5',
    apiKeyRef: 'mck_01JD0000000000000000000000',
    snapshotAt: '2026-11-28T12:00:00.000Z',
    page: { index: 3, count: 28 },
    offset: 2700,
    count: 1000,
  },
});

export const mailchimpMemberChangedV1 = defineEventType({
  type: 'mailchimp-member.changed.v1',
  producer: 'mailchimp-sync',
  description:
    'Mailchimp told us (audience webhook) that a member unsubscribed, was cleaned, or that a campaign was sent. Recorded for ' +
    'other teams and the archive; subscribe, profile and e-mail changes become single-contact jobs instead.',
  data: z.object({
    type: z.enum(['unsubscribe', 'cleaned', 'campaign']),
    listId: z.string().min(1),
    firedAt: z.string().describe('Mailchimp\'s fired_at, as sent ("2009-03-26 21:35:57", UTC).'),
    memberId: z.string().optional().describe("Mailchimp's member id (the MD5 of the lower-cased e-mail)."),
    reason: z.string().optional().describe('unsubscribe: manual/abuse; cleaned: hard/abuse.'),
    campaignId: z.string().optional(),
  }),
  example: { type: 'unsubscribe', listId: 'a1b2c3d4e5', firedAt: '2026-11-28 12:00:00', memberId: '8a25ff1d98', reason: 'manual' },
});

export const mailchimpWritebackCompletedV1 = defineEventType({
  type: 'mailchimp-writeback.completed.v1',
  producer: 'mailchimp-sync',
  description: "An import's results were written back to Mailchimp through a batch operation; per-member failures are in `report`.",
  data: z.object({
    listId: z.string().min(1),
    batchId: z.string().optional().describe('Absent when there was nothing to write.'),
    members: z.object({
      updated: z.number().int().min(0),
      failed: z.number().int().min(0),
      skipped: z.number().int().min(0).describe('Unmatched or invalid rows, and matched rows with nothing to write.'),
    }),
    report: objectRefSchema.describe("NDJSON, one line per failed member: member id, HTTP status and Mailchimp's detail."),
  }),
  example: {
    listId: 'a1b2c3d4e5',
    batchId: '3f9a1c2b7d',
    members: { updated: 812, failed: 3, skipped: 185 },
    report: { bucket: 'mailchimp-sync-imports', key: 'tenants/acme/jobs/job_01JD0000000000000000000000/writeback-report.ndjson' },
  },
});

/**
 * The services that hold data of a job (objects, table items): each handles `job-erasure.requested.v1` by erasing its
 * own and answers `job-data.erased.v1`; the erasure is done when every one of them has answered.
 */
export const JOB_DATA_HOLDERS = ['ingest', 'chunker', 'matcher', 'labeler', 'merger', 'notifier', 'mailchimp-sync'] as const;
export type JobDataHolder = (typeof JOB_DATA_HOLDERS)[number];

export const jobErasureRequestedV1 = defineEventType({
  type: 'job-erasure.requested.v1',
  producer: 'ingest',
  description:
    "A job's data is to be erased: its owner asked (`DELETE /jobs/{id}`) or it is older than the retention period. Every " +
    'service that holds data of the job (JOB_DATA_HOLDERS) deletes its objects under `tenants/<tenant>/jobs/<job>/` and ' +
    'its items of the job, then publishes `job-data.erased.v1`. Carries no personal data.',
  data: z.object({
    reason: z.enum(['request', 'retention']).describe("'request': the tenant asked; 'retention': the job is older than the retention period."),
    requestedAt: z.iso.datetime({ offset: true }),
  }),
  example: { reason: 'request', requestedAt: '2026-11-28T12:00:00.000Z' },
});

export const jobDataErasedV1 = defineEventType({
  type: 'job-data.erased.v1',
  producer: [...JOB_DATA_HOLDERS],
  description:
    'One service erased everything it held of a job (in answer to `job-erasure.requested.v1`): how many objects and items ' +
    'it deleted. ingest counts these answers; when every holder has answered, the erasure is complete.',
  data: z.object({
    service: z.enum(JOB_DATA_HOLDERS),
    objects: z.number().int().min(0).describe('Objects deleted.'),
    items: z.number().int().min(0).describe('Table items deleted.'),
  }),
  example: { service: 'merger', objects: 4, items: 7 },
});

export const jobErasureCompletedV1 = defineEventType({
  type: 'job-erasure.completed.v1',
  producer: 'ingest',
  description:
    "Every service that held data of the job has erased it (`GET /jobs/{id}/erasure` says `erased`). The local mode's " +
    "event log drops the job's events on it; on AWS the event archive lets them expire (its retention is shorter than " +
    "the jobs').",
  data: z.object({
    reason: z.enum(['request', 'retention']),
    requestedAt: z.iso.datetime({ offset: true }),
    services: z.array(z.enum(JOB_DATA_HOLDERS)),
  }),
  example: { reason: 'request', requestedAt: '2026-11-28T12:00:00.000Z', services: [...JOB_DATA_HOLDERS] },
});

/** Every event type we publish, in pipeline order. */
export const EVENT_TYPES = [
  jobCreatedV1,
  jobSubmittedV1,
  chunkPlannedV1,
  jobPlannedV1,
  chunkMatchedV1,
  chunkLabeledV1,
  jobCompletedV1,
  reviewDecidedV1,
  stageFailedV1,
  jobFailedV1,
  jobProgressedV1,
  mailchimpImportRequestedV1,
  mailchimpPageRequestedV1,
  mailchimpMemberChangedV1,
  mailchimpWritebackCompletedV1,
  jobErasureRequestedV1,
  jobDataErasedV1,
  jobErasureCompletedV1,
] as const satisfies readonly EventType[];

export type KnownEventType = (typeof EVENT_TYPES)[number];
export type KnownDetailType = KnownEventType['type'];

const byDetailType = new Map<string, KnownEventType>(EVENT_TYPES.map((t) => [t.type, t]));

export function findEventType(detailType: string): KnownEventType | undefined {
  return byDetailType.get(detailType);
}
