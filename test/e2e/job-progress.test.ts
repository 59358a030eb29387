import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiClient } from '@refinery/cli';
import { parse } from 'csv-parse/sync';
import { resultText, startTestApp, type TestApp, waitForJob } from '../support/app';

const EXAMPLES = join(__dirname, '..', '..', 'examples');

interface JobView {
  jobId: string;
  status: string;
  rows: { total: number; done: number; matched: number; unmatched: number; invalid: number };
  byMethod: { exact: number; fuzzy: number; nickname: number };
  version: number;
}

interface RowsPage {
  columns: string[];
  rows: { row: number; values: string[] }[];
  next: string | null;
}

async function getJson<T>(client: ApiClient, path: string, headers: Record<string, string> = {}): Promise<T> {
  const response = await client.request('GET', path, undefined, headers);
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Every row of a job's result that the filter keeps, following `next` page after page. */
async function allRows(client: ApiClient, jobId: string, filter: string): Promise<RowsPage> {
  const pages: RowsPage[] = [];
  let after = '';
  do {
    const page = await getJson<RowsPage>(client, `/jobs/${jobId}/rows?${filter}&limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    pages.push(page);
    after = page.next ?? '';
  } while (after);
  return { columns: pages[0]?.columns ?? [], rows: pages.flatMap((page) => page.rows), next: null };
}

describe('job progress, the jobs list and result rows on the embedded runtime', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ directory: join(EXAMPLES, 'directory.csv') });
  });
  afterAll(() => t.stop());

  it('lists a completed job with byMethod summing to matched, and filters the rows of its real result', async () => {
    const { jobId } = await t.acme.submitCsv(readFileSync(join(EXAMPLES, 'contacts.csv')), '?chunkRows=60&filename=contacts.csv');
    const job = (await waitForJob(t.acme, jobId)) as unknown as JobView;
    expect(job.status).toBe('completed');
    expect(job.rows.matched).toBeGreaterThan(0);

    // The list reads the summaries the progress publisher writes: it catches up within an interval.
    let listed: JobView | undefined;
    const deadline = Date.now() + 10_000;
    while (listed?.status !== 'completed') {
      if (Date.now() > deadline) throw new Error(`the list still shows ${JSON.stringify(listed)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      listed = (await getJson<{ jobs: JobView[] }>(t.acme, '/jobs')).jobs[0];
    }
    expect(listed).toEqual(await getJson<JobView>(t.acme, `/jobs/${jobId}`));
    expect(listed.jobId).toBe(jobId);
    expect(listed.byMethod.exact + listed.byMethod.fuzzy + listed.byMethod.nickname).toBe(listed.rows.matched);
    expect(listed.version).toBeGreaterThanOrEqual(4 + 5); // created, submitted, planned, 5 chunks labeled, completed
    expect((await getJson<{ jobs: JobView[] }>(t.globex, '/jobs')).jobs).toEqual([]);

    // The rows endpoint reads the same file the download gives, row for row.
    const csv = await resultText(t.acme, jobId);
    const records = parse(csv, { relax_column_count: true }) as string[][];
    const [header, ...fileRows] = records;
    const unguarded = (cell: string) => (/^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell);

    const matched = await allRows(t.acme, jobId, 'status=matched');
    expect(matched.columns).toEqual(header);
    expect(matched.rows).toHaveLength(job.rows.matched);
    const statusAt = matched.columns.indexOf('match_status');
    for (const row of matched.rows) {
      expect(row.values[statusAt]).toBe('matched');
      expect(row.values).toEqual(fileRows[row.row - 1]?.map(unguarded));
    }

    const confirmed = await allRows(t.acme, jobId, 'label=confirmed&status=matched');
    // The field labels: the <field>_status columns after match_status.
    const labelColumns = matched.columns.flatMap((name, index) => (index > statusAt && name.endsWith('_status') ? [index] : []));
    expect(labelColumns).toHaveLength(12);
    const expected = fileRows.flatMap((cells, index) =>
      cells[statusAt] === 'matched' && labelColumns.some((column) => cells[column] === 'confirmed') ? [index + 1] : [],
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(confirmed.rows.map((row) => row.row)).toEqual(expected);

    // The download link as JSON, for browsers.
    const link = await getJson<{ url: string; filename: string }>(t.acme, `/jobs/${jobId}/result`, { accept: 'application/json' });
    expect(link.filename).toBe('contacts-refined.csv');
    expect(await (await fetch(link.url)).text()).toBe(csv);
  });
});
