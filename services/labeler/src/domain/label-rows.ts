import type { LabeledRow, MatchedRow } from '@refinery/chunk-records';
import { countRowOutcome, emptyMatchCounts, type MatchCountsData } from '@refinery/events';
import { labelFields } from '@refinery/labeling';

/** The rows labeled, and how they came out. */
export interface LabelCounts extends MatchCountsData {
  rows: number;
}

export function emptyLabelCounts(): LabelCounts {
  return { rows: 0, ...emptyMatchCounts() };
}

/** Labels every canonical field of each row against the provider's record (none when unmatched, in review or invalid). */
export async function* labelRows(rows: AsyncIterable<MatchedRow>, counts: LabelCounts): AsyncGenerator<LabeledRow> {
  for await (const row of rows) {
    counts.rows += 1;
    countRowOutcome(counts, row);
    yield {
      row: row.row,
      cells: row.cells,
      status: row.status,
      method: row.method,
      score: row.score,
      matchId: row.matchId,
      reason: row.reason,
      labels: labelFields(row.contact, row.status === 'matched' ? (row.provider ?? undefined) : undefined),
      // A row in review is labeled as unmatched until someone decides; what they need to decide travels with it.
      ...(row.status === 'review' && row.provider && row.comparison
        ? { review: { contact: row.contact, candidate: row.provider, comparison: row.comparison } }
        : {}),
    };
  }
}
