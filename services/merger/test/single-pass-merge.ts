import { fromNdjson, type LabeledRow, RESULT_COLUMNS, type ReviewItem, resultCells, toNdjson } from '@refinery/chunk-records';
import { formatCsvRecord } from '@refinery/csv';
import { countRowOutcome, emptyMatchCounts, type MatchCountsData } from '@refinery/events';
import type { ObjectInfo, ObjectRef, ObjectStore } from '@refinery/ports';
import type { ChunkRecord, JobPlanRecord } from '../src/domain/ledger';
import { reviewItemOf } from '../src/domain/merge-result';

/** The rows merged, and how they came out. */
interface MergeTotals extends MatchCountsData {
  rows: number;
}

/**
 * The previous version's merge, kept as the reference the segmented merge must equal byte for byte: streams every
 * labeled chunk, in chunk order, into one CSV: the input header and cells (spreadsheet-safe) followed
 * by the result columns. Memory holds one chunk read buffer at a time, whatever the job's size. Checks as it goes
 * that rows arrive in order and without gaps; anything else means a corrupted chunk, and nothing is published.
 */
export async function mergeResult(
  objects: ObjectStore,
  plan: JobPlanRecord,
  chunks: AsyncIterable<ChunkRecord>,
  target: ObjectRef,
  reviewTarget: ObjectRef,
): Promise<{ info: ObjectInfo; totals: MergeTotals; review?: { ref: ObjectRef; count: number }; model?: ObjectRef }> {
  const totals: MergeTotals = { rows: 0, ...emptyMatchCounts() };
  // The rows in review, for the job's review queue (a small share of a job: kept while merging).
  const reviewItems: ReviewItem[] = [];
  let model: ObjectRef | undefined;
  const width = plan.columns.length;
  async function* lines(): AsyncGenerator<string> {
    yield formatCsvRecord([...plan.columns.map((column) => column.name), ...RESULT_COLUMNS]);
    let expectedChunk = 0;
    let buffer = '';
    for await (const chunk of chunks) {
      if (chunk.index !== expectedChunk) throw new Error(`chunk ${expectedChunk + 1} is missing from the ledger (found ${chunk.index + 1})`);
      expectedChunk += 1;
      model ??= chunk.model;
      for await (const row of fromNdjson<LabeledRow>(await objects.get(chunk.result))) {
        if (row.row !== totals.rows) throw new Error(`row ${totals.rows + 1} expected, chunk ${chunk.index + 1} has row ${row.row + 1}`);
        totals.rows += 1;
        countRowOutcome(totals, row);
        const item = reviewItemOf(row);
        if (item) reviewItems.push(item);
        buffer += formatCsvRecord(resultCells(row, width));
        if (buffer.length >= 65_536) {
          yield buffer;
          buffer = '';
        }
      }
    }
    if (buffer) yield buffer;
    if (expectedChunk !== plan.chunks) throw new Error(`${plan.chunks} chunks planned but ${expectedChunk} recorded`);
    if (totals.rows !== plan.rows) throw new Error(`${plan.rows} rows planned but ${totals.rows} merged`);
  }
  const info = await objects.put(target, lines(), { contentType: 'text/csv; charset=utf-8' });
  if (reviewItems.length === 0) return { info, totals, ...(model ? { model } : {}) };
  await objects.put(
    reviewTarget,
    toNdjson(
      (async function* () {
        yield* reviewItems;
      })(),
    ),
    { contentType: 'application/x-ndjson' },
  );
  return { info, totals, review: { ref: reviewTarget, count: reviewItems.length }, ...(model ? { model } : {}) };
}
