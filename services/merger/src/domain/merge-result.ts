import { fromNdjson, type LabeledRow, RESULT_COLUMNS, resultCells } from '@refinery/chunk-records';
import { formatCsvRecord } from '@refinery/csv';
import { countRowOutcome, emptyMatchCounts, type MatchCountsData } from '@refinery/events';
import type { ObjectInfo, ObjectRef, ObjectStore } from '@refinery/ports';
import type { ChunkRecord, JobPlanRecord } from './ledger';

/** The rows merged, and how they came out. */
export interface MergeTotals extends MatchCountsData {
  rows: number;
}

/**
 * Streams every labeled chunk, in chunk order, into one CSV: the input header and cells (spreadsheet-safe) followed
 * by the result columns. Memory holds one chunk read buffer at a time, whatever the job's size. Checks as it goes
 * that rows arrive in order and without gaps; anything else means a corrupted chunk, and nothing is published.
 */
export async function mergeResult(
  objects: ObjectStore,
  plan: JobPlanRecord,
  chunks: AsyncIterable<ChunkRecord>,
  target: ObjectRef,
): Promise<{ info: ObjectInfo; totals: MergeTotals }> {
  const totals: MergeTotals = { rows: 0, ...emptyMatchCounts() };
  const width = plan.columns.length;
  async function* lines(): AsyncGenerator<string> {
    yield formatCsvRecord([...plan.columns.map((column) => column.name), ...RESULT_COLUMNS]);
    let expectedChunk = 0;
    let buffer = '';
    for await (const chunk of chunks) {
      if (chunk.index !== expectedChunk) throw new Error(`chunk ${expectedChunk + 1} is missing from the ledger (found ${chunk.index + 1})`);
      expectedChunk += 1;
      for await (const row of fromNdjson<LabeledRow>(await objects.get(chunk.result))) {
        if (row.row !== totals.rows) throw new Error(`row ${totals.rows + 1} expected, chunk ${chunk.index + 1} has row ${row.row + 1}`);
        totals.rows += 1;
        countRowOutcome(totals, row);
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
  return { info, totals };
}
