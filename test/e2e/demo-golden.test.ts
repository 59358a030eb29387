import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { REPO_ROOT, runCli } from '../support/cli';

// The demo book through `refinery enrich`, exactly as the README runs it, must give the reviewed result in
// test/golden/. After an intended change to matching or labeling, regenerate it with UPDATE_GOLDEN=1, and review
// the diff like code.

jest.setTimeout(120_000);

const GOLDEN = join(REPO_ROOT, 'test', 'golden', 'demo-result.csv');
const BOOK = join(REPO_ROOT, 'examples', 'contacts.csv');
const DIRECTORY = join(REPO_ROOT, 'examples', 'directory.csv');

describe('the demo book', () => {
  const work = mkdtempSync(join(tmpdir(), 'refinery-demo-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('gives the golden result through `refinery enrich`', async () => {
    const out = join(work, 'result.csv');
    const run = await runCli(['enrich', BOOK, '--directory', DIRECTORY, '--out', out, '--data-dir', join(work, 'data')]).done;
    expect({ code: run.code, stderr: run.stderr.split('\n').filter((line) => line.startsWith('refinery')) }).toEqual({ code: 0, stderr: [] });
    const actual = readFileSync(out, 'utf8');
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, actual);
    expect(existsSync(GOLDEN)).toBe(true);
    expect(actual).toBe(readFileSync(GOLDEN, 'utf8'));

    const input = parse(readFileSync(BOOK), { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
    const output = parse(actual) as string[][];
    expect(output).toHaveLength(input.length);
    // Every input cell is kept, in place (made formula-safe where it had to be).
    for (let row = 1; row < input.length; row += 1) {
      (input[row] ?? []).forEach((cell, column) => {
        const written = output[row]?.[column] ?? '';
        expect(written === cell || written === `'${cell}`).toBe(true);
      });
    }
    const summary = Object.fromEntries([...run.stdout.matchAll(/^(\w+): +(\d+)/gm)].map((m) => [m[1], Number(m[2])]));
    const statuses = output.slice(1).map((row) => row[input[0]!.length]);
    expect(summary).toMatchObject({
      rows: input.length - 1,
      matched: statuses.filter((s) => s === 'matched').length,
      // A row in review counts as unmatched until someone decides it.
      unmatched: statuses.filter((s) => s === 'unmatched' || s === 'review').length,
      invalid: statuses.filter((s) => s === 'invalid').length,
    });
  });

  it("takes the job's own thresholds: rows below the match threshold wait in review, and bad thresholds are refused", async () => {
    const out = join(work, 'strict.csv');
    const run = await runCli([
      'enrich',
      BOOK,
      '--directory',
      DIRECTORY,
      '--out',
      out,
      '--data-dir',
      join(work, 'strict-data'),
      '--match-threshold',
      '0.99999999',
      '--review-threshold',
      '0.01',
    ]).done;
    expect(run.code).toBe(0);
    const statuses = (parse(readFileSync(out)) as string[][]).slice(1).map((row) => row[12]);
    const inReview = statuses.filter((status) => status === 'review').length;
    const golden = (parse(readFileSync(GOLDEN)) as string[][]).slice(1).map((row) => row[12]);
    // Stricter than the default: more rows wait for a person than in the golden result.
    expect(inReview).toBeGreaterThan(golden.filter((status) => status === 'review').length);
    expect(run.stdout).toContain(`(${inReview} of them in the review queue`);

    const refused = await runCli(['enrich', BOOK, '--out', join(work, 'no.csv'), '--match-threshold', '0.5', '--review-threshold', '0.6']).done;
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('refinery: --review-threshold (0.6) must not be above --match-threshold (0.5)');
    const notProbability = await runCli(['enrich', BOOK, '--out', join(work, 'no.csv'), '--match-threshold', '1']).done;
    expect(notProbability.stderr).toContain('refinery: --match-threshold must be a probability strictly between 0 and 1, got "1"');
  });
});
