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
  const cells = row.cells.slice(0, inputColumnCount);
  while (cells.length < inputColumnCount) cells.push('');
  return [
    ...cells,
    row.status,
    row.method ?? '',
    row.score.toFixed(3),
    row.matchId ?? '',
    row.reason,
    ...CANONICAL_FIELDS.flatMap((field) => {
      const label = row.labels[field];
      return [label.status, label.latest ?? ''];
    }),
  ];
}
