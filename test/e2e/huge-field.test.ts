import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryProvider } from '@refinery/directory-provider';
import { parse } from 'csv-parse/sync';
import { resultText, startTestApp, type TestApp, waitForJob } from '../support/app';

jest.setTimeout(120_000);

const PEOPLE = [{ id: 'P1', fields: { first_name: 'Robert', last_name: 'Smith', email: 'robert.smith@example.com' } }];

describe('a 50 MB value in an otherwise fine file, on the local pipeline', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ directory: DirectoryProvider.fromRecords(PEOPLE) });
  });
  afterAll(() => t.stop());

  // The probe: the labeler ran at 100 % CPU for over 3 minutes on such a file and never finished. Now the
  // record reader counts the value's bytes without assembling it, the row is invalid with the reason, the rest is
  // matched, and the whole job takes seconds.
  it('reports the row over the limit as invalid, with line, column and limit, and processes the rest in seconds', async () => {
    const file = join(t.dataDir, 'huge-field.csv');
    writeFileSync(
      file,
      [
        'First Name,Last Name,Email,Notes',
        'Robert,Smith,robert.smith@example.com,ok',
        `Ann,Huge,ann@example.com,"${'x'.repeat(50 * 1024 * 1024)}"`,
        'No,Body,nobody@example.com,',
        '',
      ].join('\n'),
    );
    const started = Date.now();
    const { size } = statSync(file);
    const created = await t.acme.createUploadJob({ filename: 'huge-field.csv', sizeBytes: size });
    if (!created.upload) throw new Error('no upload URL');
    await t.acme.upload(created.upload, file);
    const job = await waitForJob(t.acme, created.jobId, 60_000);
    const seconds = (Date.now() - started) / 1000;

    expect(job).toMatchObject({ status: 'completed', rows: { total: 3, matched: 1, unmatched: 1, invalid: 1 } });
    expect(seconds).toBeLessThan(30);
    const rows = parse(await resultText(t.acme, created.jobId), { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => [row['First Name'], row.match_status])).toEqual([
      ['Robert', 'matched'],
      ['', 'invalid'],
      ['No', 'unmatched'],
    ]);
    expect(rows[1]?.match_reason).toBe(
      'the record at line 3 takes 50 MiB, over the 1 MiB limit for a row (reached in column 4 ("Notes")); its values are not copied',
    );
  });
});
