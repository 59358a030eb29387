import type { LabeledRow, MatchedRow } from '@refinery/chunk-records';
import { labelFields } from '@refinery/labeling';

export interface LabelCounts {
  rows: number;
  matched: number;
  unmatched: number;
  invalid: number;
  byMethod: { exact: number; fuzzy: number; nickname: number };
}

export function emptyLabelCounts(): LabelCounts {
  return { rows: 0, matched: 0, unmatched: 0, invalid: 0, byMethod: { exact: 0, fuzzy: 0, nickname: 0 } };
}

/** Labels every canonical field of each row against the provider's record (none when unmatched or invalid). */
export async function* labelRows(rows: AsyncIterable<MatchedRow>, counts: LabelCounts): AsyncGenerator<LabeledRow> {
  for await (const row of rows) {
    counts.rows += 1;
    counts[row.status] += 1;
    if (row.method) counts.byMethod[row.method] += 1;
    yield {
      row: row.row,
      cells: row.cells,
      status: row.status,
      method: row.method,
      score: row.score,
      matchId: row.matchId,
      reason: row.reason,
      labels: labelFields(row.contact, row.status === 'matched' ? (row.provider ?? undefined) : undefined),
    };
  }
}
