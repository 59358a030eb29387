import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTACT_FIELDS, TRUTH_HEADER } from '@refinery/synthetic-data';
import { scoreResult } from '../../bench/lib/quality-score';
import { qualityBench } from '../../bench/quality-bench';

// The quality benchmark is run by hand for docs/matching.md; this keeps its scoring honest (checked on hand-made
// result and truth files) and its run working end to end, with a floor well under the published figures so that a
// real regression in matching fails CI. No timing is asserted.

jest.setTimeout(180_000);

const work = mkdtempSync(join(tmpdir(), 'refinery-quality-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function csv(path: string, rows: string[][]): string {
  writeFileSync(path, `${rows.map((row) => row.join(',')).join('\n')}\n`);
  return path;
}

describe('quality scoring', () => {
  // Three rows: a right match, a match to the wrong person, a stranger left unmatched... and one invalid row missed.
  // The directory people have first and last name, e-mail and phone (P2 no phone); the book rows likewise.
  const statuses = (status: string) => CONTACT_FIELDS.map((_, i) => (i < 4 ? status : 'empty'));
  const truth = csv(join(work, 'truth.csv'), [
    [...TRUTH_HEADER],
    ['1', 'current', 'P1', 'matched', '', ...statuses('confirmed')],
    ['2', 'typo', 'P2', 'matched', 'typo:first_name:deletion', ...statuses('confirmed')],
    ['3', 'stranger', '', 'unmatched', '', ...statuses('unverified')],
    ['4', 'invalid', '', 'invalid', '', ...statuses('unverified')],
  ]);
  const directory = csv(join(work, 'directory.csv'), [
    ['id', ...CONTACT_FIELDS, 'updated_at'],
    ['P1', 'Ann', 'Lee', 'ann@x.example', '+14155550100', ...CONTACT_FIELDS.slice(4).map(() => ''), '2026-01-01'],
    ['P2', 'Bob', 'Ray', 'bob@x.example', '', ...CONTACT_FIELDS.slice(4).map(() => ''), '2026-01-01'],
  ]);
  const labelColumns = CONTACT_FIELDS.flatMap((field) => [`${field}_status`, `${field}_latest`]);
  const labels = (status: string, latest: Partial<Record<string, string>> = {}) =>
    CONTACT_FIELDS.flatMap((field, i) => (i < 4 ? [status, latest[field] ?? ''] : ['empty', '']));
  const result = csv(join(work, 'result.csv'), [
    ['match_status', 'match_method', 'match_score', 'match_id', 'match_reason', ...labelColumns],
    [
      'matched',
      'exact',
      '0.99',
      'P1',
      'ok',
      ...labels('confirmed', { first_name: 'Ann', last_name: 'Lee', email: 'ann@x.example', phone: "'+14155550100" }),
    ],
    ['matched', 'fuzzy', '0.80', 'P9', 'wrong person', ...labels('confirmed')],
    ['unmatched', '', '0.10', '', 'no', ...labels('unverified')],
    ['unmatched', '', '0.00', '', 'should have been invalid', ...labels('unverified')],
  ]);

  it('counts a match to the wrong person as a false positive and a false negative, and a missed invalid row', () => {
    const report = scoreResult({ result, truth, directory });
    expect(report.match).toMatchObject({ tp: 1, fp: 1, fn: 1, precision: 0.5, recall: 0.5, f1: 0.5 });
    expect(report.invalid).toMatchObject({ correct: 3, total: 4, missed: 1, falseAlarms: 0 });
    expect(report.labels).toMatchObject({ correct: 48, total: 48 });
    // Latest values are owed for the 4 confirmed fields of rows 1 and 2: row 1 gives them all (its phone through the
    // formula guard), row 2 matched someone else and gives none.
    expect(report.latest).toMatchObject({ correct: 4, total: 8 });
    expect(report.errors.map((error) => [error.row, error.kind, error.problem])).toEqual([
      [2, 'typo', 'matched P9 instead of P2'],
      [4, 'invalid', 'unmatched but should be invalid'],
    ]);
  });
});

describe('npm run bench:quality', () => {
  it('runs the real pipeline on a generated book and keeps matching above a floor', async () => {
    const lines: string[] = [];
    const [report] = await qualityBench({ rows: 1500, directorySize: 6000, seeds: [11], chunkRows: 500, outDir: work, errors: 5 }, (line) =>
      lines.push(line),
    );
    expect(report!.rows).toBe(1500);
    expect(report!.match.f1).toBeGreaterThan(0.99);
    expect(report!.invalid.accuracy).toBeGreaterThan(0.99);
    expect(report!.labels.accuracy).toBeGreaterThan(0.98);
    expect(report!.latest.accuracy).toBeGreaterThan(0.98);
    expect(lines.join('\n')).toMatch(/match decisions: precision \d\.\d{4}, recall \d\.\d{4}, F1 \d\.\d{4}/);
    expect(lines.join('\n')).toContain('wrong rows by kind:');
  });
});
