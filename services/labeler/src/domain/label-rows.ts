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

/** Rows by outcome and how they matched (`none` for rows matched by no method), keyed `status/method`. */
export type OutcomeTally = Map<string, { status: string; method: string; rows: number }>;

/**
 * Labels every canonical field of each row against the provider's record (none when unmatched, in review or invalid),
 * counting the rows as it goes — in `counts`, and by outcome and method in `outcomes` when given (counted here rather
 * than by a generator of its own in front: one async step less per row of every job).
 */
export async function* labelRows(rows: AsyncIterable<MatchedRow>, counts: LabelCounts, outcomes?: OutcomeTally): AsyncGenerator<LabeledRow> {
  for await (const row of rows) {
    counts.rows += 1;
    countRowOutcome(counts, row);
    if (outcomes) {
      const method = row.method ?? 'none';
      const key = `${row.status}/${method}`;
      const outcome = outcomes.get(key);
      if (outcome) outcome.rows += 1;
      else outcomes.set(key, { status: row.status, method, rows: 1 });
    }
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
