import { MAPPED_FIELDS, type MappedField } from '@refinery/contacts';
import { z } from 'zod';

// Small schemas shared by several event types. Events carry references and counts, never rows.

export const objectRefSchema = z
  .object({
    bucket: z.string().min(1),
    key: z.string().min(1),
  })
  .describe('Where an object lives (an S3 bucket and key; a data-dir folder on the local mode).');

export const sizedObjectRefSchema = objectRefSchema.extend({
  sizeBytes: z.number().int().min(0),
});

export const mappedFieldSchema = z.enum(MAPPED_FIELDS as [MappedField, ...MappedField[]]);

export const columnSchema = z.object({
  index: z.number().int().min(0),
  name: z.string().describe('The header cell as written in the file.'),
  field: mappedFieldSchema.nullable().describe('The canonical field it maps to, or null when ignored.'),
});

export const csvFormatSchema = z.object({
  delimiter: z.enum([',', ';', '\t', '|']),
  encoding: z.enum(['utf-8', 'windows-1252']),
  hasBom: z.boolean(),
});

const probability = z.number().gt(0).lt(1);

export const matchThresholdsSchema = z
  .object({
    match: probability.optional().describe('Match probability at or above which a row is matched (default 0.9).'),
    review: probability.optional().describe('Match probability at or above which a row goes to the review queue (default 0.5).'),
  })
  .refine((thresholds) => thresholds.match === undefined || thresholds.review === undefined || thresholds.review <= thresholds.match, {
    message: 'the review threshold must not be above the match threshold',
    path: ['review'],
  })
  .describe("Where a row's match probability lands it: matched, review, or unmatched (docs/matching.md).");

/** A job's linkage model learns from its first rows, this many (chunk.planned.v1's sample covers them). */
export const LINKAGE_SAMPLE_ROWS = 1000;

export const jobOptionsSchema = z
  .object({
    chunkRows: z.number().int().min(1).max(100_000).optional().describe('Rows per chunk; the chunker default applies when absent.'),
    columnMapping: z
      .record(z.string(), mappedFieldSchema.nullable())
      .optional()
      .describe('Explicit header name -> field mapping that overrides the automatic one.'),
    thresholds: matchThresholdsSchema.optional(),
  })
  .describe('Options given when the job was created.');

export const chunkPositionSchema = z.object({
  index: z.number().int().min(0).describe('0-based chunk number; chunk order is row order.'),
  count: z.number().int().min(1).describe('How many chunks the job has in all.'),
});

export const rowRangeSchema = z.object({
  first: z.number().int().min(0).describe('0-based index of the first data row.'),
  count: z.number().int().min(0),
});

/** How rows came out, by status: the one shape of every count of rows (chunk events, job results, job views). */
export const rowStatusCountsSchema = z.object({
  matched: z.number().int().min(0),
  unmatched: z.number().int().min(0),
  invalid: z.number().int().min(0),
  review: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Of the unmatched rows, how many wait in the review queue with a proposed candidate (absent: none).'),
});

/** Matched rows by the method that matched them. */
export const matchMethodSchema = z.enum(['exact', 'fuzzy', 'nickname']);

export const matchMethodCountsSchema = z.object({
  exact: z.number().int().min(0),
  fuzzy: z.number().int().min(0),
  nickname: z.number().int().min(0),
});

export const matchCountsSchema = rowStatusCountsSchema.extend({ byMethod: matchMethodCountsSchema });

export type ObjectRefData = z.infer<typeof objectRefSchema>;
export type ColumnData = z.infer<typeof columnSchema>;
export type CsvFormatData = z.infer<typeof csvFormatSchema>;
export type JobOptionsData = z.infer<typeof jobOptionsSchema>;
export type MatchCountsData = z.infer<typeof matchCountsSchema>;

/** Counts of no rows yet. */
export function emptyMatchCounts(): MatchCountsData {
  return { matched: 0, unmatched: 0, invalid: 0, byMethod: { exact: 0, fuzzy: 0, nickname: 0 } };
}

/** Counts one row's outcome: its status and, when matched, its method. A row in review counts as unmatched, and in `review`. */
export function countRowOutcome(
  counts: MatchCountsData,
  outcome: {
    readonly status: 'matched' | 'unmatched' | 'invalid' | 'review';
    readonly method: keyof MatchCountsData['byMethod'] | null;
  },
): void {
  if (outcome.status === 'review') {
    counts.unmatched += 1;
    counts.review = (counts.review ?? 0) + 1;
    return;
  }
  counts[outcome.status] += 1;
  if (outcome.method) counts.byMethod[outcome.method] += 1;
}
