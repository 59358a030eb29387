// Scores a result file against the generator's ground truth: match decisions (a match counts only with the right
// record), invalid detection, field labels and latest values. Kept apart from the runner so tests can score any
// result/truth pair.
import { readFileSync } from 'node:fs';
import { withoutFormulaGuard } from '@refinery/csv';
import { CONTACT_FIELDS, type ContactField, type FieldStatus, sameFieldValue } from '@refinery/synthetic-data';
import { parse } from 'csv-parse/sync';

export interface RowError {
  readonly row: number;
  readonly kind: string;
  readonly variations: string;
  readonly problem: string;
  readonly reason: string;
}

export interface QualityReport {
  readonly rows: number;
  readonly match: { tp: number; fp: number; fn: number; precision: number; recall: number; f1: number };
  readonly invalid: { correct: number; total: number; accuracy: number; missed: number; falseAlarms: number };
  readonly labels: { correct: number; total: number; accuracy: number };
  readonly latest: { correct: number; total: number; accuracy: number };
  /** Rows the system got wrong in any way, per book row kind. */
  readonly errorsByKind: Record<string, number>;
  readonly rowsByKind: Record<string, number>;
  readonly errors: readonly RowError[];
}

type Row = Record<string, string>;

function readCsv(path: string): Row[] {
  return parse(readFileSync(path), { columns: true, bom: true, skip_empty_lines: true, relax_column_count: true }) as Row[];
}

function ratio(part: number, whole: number): number {
  return whole === 0 ? 1 : part / whole;
}

export function scoreResult(paths: { result: string; truth: string; directory: string }): QualityReport {
  const results = readCsv(paths.result);
  const truths = readCsv(paths.truth);
  if (results.length !== truths.length) {
    throw new Error(`the result has ${results.length} rows but the truth has ${truths.length}`);
  }
  const directory = new Map(readCsv(paths.directory).map((person) => [person.id ?? '', person]));
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const invalid = { correct: 0, total: 0, missed: 0, falseAlarms: 0 };
  const labels = { correct: 0, total: 0 };
  const latest = { correct: 0, total: 0 };
  const errorsByKind: Record<string, number> = {};
  const rowsByKind: Record<string, number> = {};
  const errors: RowError[] = [];

  truths.forEach((truth, index) => {
    const result = results[index] as Row;
    const kind = truth.kind ?? '?';
    rowsByKind[kind] = (rowsByKind[kind] ?? 0) + 1;
    const problems: string[] = [];
    const expected = truth.expected_status;
    const status = result.match_status;
    const matchId = result.match_id ?? '';

    if (expected === 'matched') {
      if (status === 'matched' && matchId === truth.person_id) tp += 1;
      else {
        fn += 1;
        if (status === 'matched') {
          fp += 1;
          problems.push(`matched ${matchId} instead of ${truth.person_id}`);
        } else problems.push(`${status} instead of matched to ${truth.person_id}`);
      }
    } else if (status === 'matched') {
      fp += 1;
      problems.push(`matched ${matchId} but should be ${expected}`);
    }

    invalid.total += 1;
    if ((expected === 'invalid') === (status === 'invalid')) invalid.correct += 1;
    else if (expected === 'invalid') {
      invalid.missed += 1;
      if (!problems.length) problems.push(`${status} but should be invalid`);
    } else {
      invalid.falseAlarms += 1;
      if (!problems.length) problems.push(`invalid but should be ${expected}`);
    }

    const person = expected === 'matched' ? directory.get(truth.person_id ?? '') : undefined;
    const wrongLabels: string[] = [];
    for (const field of CONTACT_FIELDS as readonly ContactField[]) {
      const want = truth[`expected_${field}_status`] as FieldStatus;
      const got = result[`${field}_status`];
      labels.total += 1;
      if (got === want) labels.correct += 1;
      else wrongLabels.push(`${field} ${got} (want ${want})`);
      if (person !== undefined && (want === 'confirmed' || want === 'old' || want === 'new')) {
        latest.total += 1;
        // The result file guards spreadsheet formulas ("+1415..." is written "'+1415...").
        const value = withoutFormulaGuard(result[`${field}_latest`] ?? '');
        if (value !== '' && sameFieldValue(field, value, person[field] ?? '')) latest.correct += 1;
      }
    }
    // Labels follow from a wrong match decision; list them only when the decision itself was right.
    if (!problems.length && wrongLabels.length) problems.push(`labels: ${wrongLabels.join(', ')}`);
    if (problems.length) {
      errorsByKind[kind] = (errorsByKind[kind] ?? 0) + 1;
      errors.push({
        row: Number(truth.row),
        kind,
        variations: truth.variations ?? '',
        problem: problems.join('; '),
        reason: result.match_reason ?? '',
      });
    }
  });

  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    rows: truths.length,
    match: { tp, fp, fn, precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) },
    invalid: { ...invalid, accuracy: ratio(invalid.correct, invalid.total) },
    labels: { ...labels, accuracy: ratio(labels.correct, labels.total) },
    latest: { ...latest, accuracy: ratio(latest.correct, latest.total) },
    errorsByKind,
    rowsByKind,
    errors,
  };
}
