import { CANONICAL_FIELDS } from '@refinery/contacts';
import type { LabeledRow } from './records';

/** Columns appended to every input column in the result CSV, in this order. */
export const RESULT_COLUMNS: readonly string[] = [
  'match_status',
  'match_method',
  'match_score',
  'match_id',
  'match_reason',
  ...CANONICAL_FIELDS.flatMap((field) => [`${field}_status`, `${field}_latest`]),
];

/**
 * One result row: the input's cells (padded to the header's width, so every row has every column) followed by the
 * result columns. The caller makes the cells spreadsheet-safe when it writes them.
 */
export function resultCells(row: LabeledRow, inputColumnCount: number): string[] {
  // The merger builds one of these per row of every job: one array, no per-field arrays or spreads
  // (the flatMap over the fields cost more than formatting the whole CSV line).
  const cells: string[] = [];
  const input = row.cells;
  for (let i = 0; i < inputColumnCount; i++) cells.push(input[i] ?? '');
  cells.push(row.status, row.method ?? '', row.score.toFixed(3), row.matchId ?? '', row.reason);
  const { labels } = row;
  for (const field of CANONICAL_FIELDS) {
    const label = labels[field];
    cells.push(label.status, label.latest ?? '');
  }
  return cells;
}
