import { CONTACT_FIELDS, type FieldStatus } from '../fields';
import type { RowKind } from '../options';
import type { FieldStatuses } from './field-status';

export type ExpectedStatus = 'matched' | 'unmatched' | 'invalid';

/** What a perfect system should conclude about one book row. */
export interface RowTruth {
  /** 1-based data row number (the header is row 0). */
  row: number;
  /** A row kind of the book the row is in (`current`, `stranger`, `lookalike` and `invalid` exist in both). */
  kind: RowKind;
  /** The directory id the row should match; empty unless expectedStatus is 'matched'. */
  personId: string;
  expectedStatus: ExpectedStatus;
  variations: readonly string[];
  fieldStatuses: FieldStatuses;
}

export const TRUTH_HEADER: readonly string[] = [
  'row',
  'kind',
  'person_id',
  'expected_status',
  'variations',
  ...CONTACT_FIELDS.map((field) => `expected_${field}_status`),
];

export function truthCells(truth: RowTruth): string[] {
  const statuses: FieldStatus[] = CONTACT_FIELDS.map((field) => truth.fieldStatuses[field]);
  return [String(truth.row), truth.kind, truth.personId, truth.expectedStatus, truth.variations.join(';'), ...statuses];
}
