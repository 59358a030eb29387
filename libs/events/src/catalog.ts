import { z } from 'zod';
import {
  chunkPositionSchema,
  columnSchema,
  csvFormatSchema,
  jobOptionsSchema,
  matchCountsSchema,
  objectRefSchema,
  rowRangeSchema,
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
  producer: 'ingest',
  description: 'A job was accepted; its input file is (or will be, for presigned uploads) at `input`.',
  data: z.object({
    filename: z.string().describe('The name the user gave the file.'),
    upload: z.enum(['body', 'presigned']).describe('How the file arrives: in the request body, or by a presigned PUT.'),
    input: objectRefSchema,
    options: jobOptionsSchema,
  }),
  example: { filename: 'customers.csv', upload: 'presigned', input: exampleInput, options: { chunkRows: 1000 } },
});

export const jobSubmittedV1 = defineEventType({
  type: 'job.submitted.v1',
  producer: 'ingest',
  description: "The job's input file is stored and looks like a CSV with a usable header: planning can start.",
  data: z.object({
    filename: z.string(),
    input: sizedObjectRefSchema,
    options: jobOptionsSchema,
  }),
  example: { filename: 'customers.csv', input: { ...exampleInput, sizeBytes: 183_204 }, options: { chunkRows: 1000 } },
});

export const chunkPlannedV1 = defineEventType({
  type: 'chunk.planned.v1',
  producer: 'chunker',
  description: 'One chunk of the input: a byte range that starts and ends on record boundaries, with what is needed to parse it.',
  data: z.object({
    input: objectRefSchema,
    chunk: chunkPositionSchema,
    range: z
      .object({ start: z.number().int().min(0), end: z.number().int().min(0) })
      .describe('Byte range in the input object, end exclusive.'),
    rows: rowRangeSchema.extend({ firstLine: z.number().int().min(1).describe('Physical line where the range starts.') }),
    format: csvFormatSchema,
    columns: z.array(columnSchema),
  }),
  example: {
    input: exampleInput,
    chunk: { index: 2, count: 5 },
    range: { start: 104_857, end: 157_301 },
    rows: { first: 2000, count: 1000, firstLine: 2002 },
    format: { delimiter: ',', encoding: 'utf-8', hasBom: false },
    columns: exampleColumns,
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
  }),
  example: {
    input: exampleInput,
    format: { delimiter: ',', encoding: 'utf-8', hasBom: true },
    columns: exampleColumns,
    rows: { total: 4321 },
    chunks: { total: 5 },
  },
});

/** What a stage hands on for one chunk: which rows, where their results are, and how they came out. */
const chunkResultSchema = z.object({
  chunk: chunkPositionSchema,
  rows: rowRangeSchema,
  result: objectRefSchema,
  counts: matchCountsSchema,
});

export const chunkMatchedV1 = defineEventType({
  type: 'chunk.matched.v1',
  producer: 'matcher',
  description: 'Every row of a chunk was validated, standardized and matched; the per-row results are in `result` (NDJSON).',
  data: chunkResultSchema,
  example: {
    chunk: { index: 2, count: 5 },
    rows: { first: 2000, count: 1000 },
    result: { bucket: 'matcher-chunks', key: 'tenants/acme/jobs/job_01JD0000000000000000000000/matched/000000002.ndjson' },
    counts: exampleCounts,
  },
});

export const chunkLabeledV1 = defineEventType({
  type: 'chunk.labeled.v1',
  producer: 'labeler',
  description: 'Every canonical field of every row of a chunk was labeled; the labeled rows are in `result` (NDJSON).',
  data: chunkResultSchema,
  example: {
    chunk: { index: 2, count: 5 },
    rows: { first: 2000, count: 1000 },
    result: { bucket: 'labeler-chunks', key: 'tenants/acme/jobs/job_01JD0000000000000000000000/labeled/000000002.ndjson' },
    counts: exampleCounts,
  },
});

export const jobCompletedV1 = defineEventType({
  type: 'job.completed.v1',
  producer: 'merger',
  description: 'Every chunk was merged, in the original row order, into one result CSV.',
  data: z.object({
    result: sizedObjectRefSchema.extend({ contentType: z.string() }),
    rows: z.object({
      total: z.number().int().min(0),
      matched: z.number().int().min(0),
      unmatched: z.number().int().min(0),
      invalid: z.number().int().min(0),
    }),
    byMethod: matchCountsSchema.shape.byMethod,
    chunks: z.object({ total: z.number().int().min(0) }),
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

/** Every event type we publish, in pipeline order. */
export const EVENT_TYPES = [
  jobCreatedV1,
  jobSubmittedV1,
  chunkPlannedV1,
  jobPlannedV1,
  chunkMatchedV1,
  chunkLabeledV1,
  jobCompletedV1,
  stageFailedV1,
  jobFailedV1,
] as const satisfies readonly EventType[];

export type KnownEventType = (typeof EVENT_TYPES)[number];
export type KnownDetailType = KnownEventType['type'];

const byDetailType = new Map<string, KnownEventType>(EVENT_TYPES.map((t) => [t.type, t]));

export function findEventType(detailType: string): KnownEventType | undefined {
  return byDetailType.get(detailType);
}
