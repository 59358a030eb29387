import { CANONICAL_FIELDS } from '@refinery/contacts';
import { formatCsvRecord } from '@refinery/csv';
import { encodeRowsCursor, ROWS_SCAN_LIMIT } from '../src/domain/result-rows';
import {
  ACME_TOKEN,
  type ApiAnswer,
  CURSOR_SIGNING_KEY,
  createHarness,
  FIRST_JOB_ID,
  fixture,
  GLOBEX_TOKEN,
  getJob,
  type IngestHarness,
  PNG_BYTES,
  postCsv,
  sampleFile,
} from './helpers';

const CONTACTS = sampleFile('contacts.csv');
/** Where job-completed.json says the first job's result is. */
const RESULT = { bucket: 'merger-results', key: `tenants/acme/jobs/${FIRST_JOB_ID}/result.csv` };
const COMPLETE_HISTORY = ['job-planned.json', 'chunk-labeled-0.json', 'chunk-labeled-1.json', 'job-completed.json'].map(fixture);

describe('ingest HTTP API: reading jobs', () => {
  let harness: IngestHarness;

  beforeEach(() => {
    harness = createHarness();
  });
  afterEach(() => harness.ports.cleanup());

  function listJobs(query: Record<string, string> = {}, token = ACME_TOKEN): Promise<ApiAnswer> {
    return harness.http({ routeKey: 'GET /jobs', token, query });
  }

  describe('GET /jobs', () => {
    it("lists the tenant's own jobs, newest first, as GET /jobs/{id} shows them", async () => {
      for (const name of ['a.csv', 'b.csv']) await postCsv(harness, CONTACTS, { query: { filename: name } });
      await postCsv(harness, CONTACTS, { query: { filename: 'globex.csv' }, token: GLOBEX_TOKEN });
      await postCsv(harness, CONTACTS, { query: { filename: 'c.csv' } });

      const acme = await listJobs();
      const globex = await listJobs({}, GLOBEX_TOKEN);

      expect(acme.status).toBe(200);
      expect(acme.json.jobs.map((job: { filename: string }) => job.filename)).toEqual(['c.csv', 'b.csv', 'a.csv']);
      expect(acme.json.next).toBeNull();
      expect(acme.json.jobs[2]).toEqual((await getJob(harness, FIRST_JOB_ID)).json);
      expect(globex.json).toEqual({ jobs: [expect.objectContaining({ jobId: 'job_TEST000003', filename: 'globex.csv' })], next: null });
    });

    it('shows a job as its progress is published', async () => {
      await postCsv(harness, CONTACTS);
      harness.ports.clock.advance(1000);
      await harness.history(COMPLETE_HISTORY);

      const [job] = (await listJobs()).json.jobs;

      expect(job).toEqual((await getJob(harness, FIRST_JOB_ID)).json);
      expect(job).toMatchObject({ status: 'completed', byMethod: { exact: 1, fuzzy: 1, nickname: 1 }, version: 5 });
    });

    it('pages with limit and after', async () => {
      for (let i = 1; i <= 5; i += 1) await postCsv(harness, CONTACTS, { query: { filename: `${i}.csv` } });

      const first = await listJobs({ limit: '2' });
      const second = await listJobs({ limit: '2', after: first.json.next });
      const last = await listJobs({ limit: '2', after: second.json.next });

      const names = (answer: ApiAnswer) => answer.json.jobs.map((job: { filename: string }) => job.filename);
      expect(names(first)).toEqual(['5.csv', '4.csv']);
      expect(first.json.next).toBe('job_TEST000004');
      expect(names(second)).toEqual(['3.csv', '2.csv']);
      expect(names(last)).toEqual(['1.csv']);
      expect(last.json.next).toBeNull();
      expect((await listJobs({ limit: '5' })).json.next).toBeNull();
    });

    it.each(['0', '101', 'ten', ''])('refuses limit=%p with 400 invalid_option', async (limit) => {
      const answer = await listJobs({ limit });

      expect(answer.status).toBe(400);
      expect(answer.json.error).toEqual({ code: 'invalid_option', message: `limit must be an integer from 1 to 100, got "${limit}"` });
    });

    it('needs a bearer token', async () => {
      expect((await listJobs({}, '')).status).toBe(401);
    });
  });

  describe('GET /jobs/{id}/result with Accept: application/json', () => {
    beforeEach(async () => {
      await postCsv(harness, CONTACTS, { query: { filename: 'customers.csv' } });
    });

    function result(accept?: string, token = ACME_TOKEN): Promise<ApiAnswer> {
      return harness.http({
        routeKey: 'GET /jobs/{id}/result',
        pathParameters: { id: FIRST_JOB_ID },
        token,
        ...(accept ? { headers: { accept } } : {}),
      });
    }

    it('answers the presigned URL as JSON instead of a redirect', async () => {
      await harness.history(COMPLETE_HISTORY);

      for (const accept of ['application/json', 'text/html, application/json;q=0.9']) {
        const answer = await result(accept);
        expect(answer.status).toBe(200);
        expect(answer.headers['cache-control']).toBe('no-store');
        expect(answer.json).toEqual({ url: expect.any(String), expiresAt: expect.any(String), filename: 'customers-refined.csv', version: 0 });
        const url = new URL(answer.json.url);
        expect(harness.ports.objects.verifyPresigned('GET', RESULT, url.searchParams, {})).toEqual({
          ok: true,
          conditions: { contentType: undefined, ifNoneMatch: undefined, downloadName: 'customers-refined.csv' },
        });
        expect(Date.parse(answer.json.expiresAt)).toBeGreaterThan(Date.parse('2026-11-28T12:00:00.000Z'));
      }
      expect((await result('text/csv')).status).toBe(302);
      expect((await result()).status).toBe(302);
    });

    it('answers 409 as JSON before completion, and 404 to another tenant', async () => {
      expect((await result('application/json')).json.error.code).toBe('not_ready');
      await harness.history(COMPLETE_HISTORY);
      expect((await result('application/json', GLOBEX_TOKEN)).status).toBe(404);
    });
  });

  describe('POST /column-mappings/preview', () => {
    function preview(body: unknown, token = ACME_TOKEN): Promise<ApiAnswer> {
      return harness.http({
        routeKey: 'POST /column-mappings/preview',
        token,
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    }

    const FIELDS = [...CANONICAL_FIELDS, 'full_name', 'street_number'];

    it('maps the header by its names', async () => {
      const answer = await preview({ head: 'First Name,Last Name,E-mail,Notes\nAda,Lovelace,ada@example.com,hi\nGrace,Hop', complete: false });

      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({
        columns: [
          { header: 'First Name', field: 'first_name', explicit: false },
          { header: 'Last Name', field: 'last_name', explicit: false },
          { header: 'E-mail', field: 'email', explicit: false },
          { header: 'Notes', field: null, explicit: false },
        ],
        fields: FIELDS,
        usable: true,
        problem: null,
      });
      // It creates nothing.
      expect(harness.ports.publisher.entries).toEqual([]);
    });

    it('applies an explicit mapping over the names, and says when it makes the mapping unusable', async () => {
      const head = sampleFile('mapped-by-option.csv').toString('utf8');
      const mapped = await preview({ head, complete: true, columnMapping: { Vorname: 'first_name', Nachname: 'last_name' } });
      expect(mapped.json.columns).toEqual([
        { header: 'Vorname', field: 'first_name', explicit: true },
        { header: 'Nachname', field: 'last_name', explicit: true },
        { header: 'E-Mail', field: 'email', explicit: false },
      ]);
      expect(mapped.json.usable).toBe(true);

      const ignored = await preview({ head, complete: true, columnMapping: { Vorname: 'first_name', Nachname: 'last_name', 'e-mail': null } });
      expect(ignored.status).toBe(200);
      expect(ignored.json.columns[2]).toEqual({ header: 'E-Mail', field: null, explicit: true });
      expect(ignored.json.usable).toBe(false);
      expect(ignored.json.problem).toMatch(/^no usable header: found "Vorname", "Nachname", "E-Mail"; need an email or phone column/);
    });

    it('answers usable:false with the problem in words for a header nothing maps to, the same words as POST /jobs', async () => {
      const head = sampleFile('not-contacts.csv').toString('utf8');

      const answer = await preview({ head, complete: true });
      const job = await postCsv(harness, head);

      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({
        columns: [
          { header: 'Product', field: null, explicit: false },
          { header: 'Price', field: null, explicit: false },
          { header: 'Quantity', field: null, explicit: false },
        ],
        usable: false,
      });
      expect(job.status).toBe(422);
      expect(answer.json.problem).toBe(job.json.error.message);
    });

    it('answers 415 not_csv for text that is no CSV, and 422 unusable_header for a header of empty cells, as POST /jobs does', async () => {
      const binary = PNG_BYTES.toString('latin1');
      const notCsv = await preview({ head: binary, complete: true });
      const notCsvJob = await postCsv(harness, Buffer.from(binary, 'utf8'));
      expect(notCsv.status).toBe(415);
      expect(notCsv.json.error.code).toBe('not_csv');
      expect(notCsv.json.error).toEqual({ code: 'not_csv', message: notCsvJob.json.error.message });

      const noHeader = await preview({ head: ',,\nAda,Lovelace,ada@example.com\n', complete: true });
      const noHeaderJob = await postCsv(harness, ',,\nAda,Lovelace,ada@example.com\n');
      expect(noHeader.status).toBe(422);
      expect(noHeader.json.error).toEqual({ code: 'unusable_header', message: noHeaderJob.json.error.message });
    });

    it('refuses a body that is not { head, complete, columnMapping? } with 400', async () => {
      for (const body of [
        { head: 'a,b\n' },
        { head: 'x'.repeat(65_537), complete: false },
        { head: 'a\n', complete: true, columnMapping: { a: 'shoe_size' } },
        'nope',
      ]) {
        const answer = await preview(body);
        expect(answer.status).toBe(400);
        expect(answer.json.error.code).toBe('invalid_body');
      }
    });
  });

  describe('GET /jobs/{id}/rows', () => {
    const INPUT_COLUMNS = ['First Name', 'Last Name', 'Phone', 'Notes', 'email_status'];
    const RESULT_COLUMNS = [
      'match_status',
      'match_method',
      'match_score',
      'match_id',
      'match_reason',
      ...CANONICAL_FIELDS.flatMap((field) => [`${field}_status`, `${field}_latest`]),
    ];
    const HEADER = [...INPUT_COLUMNS, ...RESULT_COLUMNS];

    /** A result row: the input cells, then the match, then `labels` ({ field: status }; other fields `empty`). */
    function resultRow(input: string[], match: [string, string, string], labels: Record<string, string> = {}): string[] {
      const [status, method, reason] = match;
      return [
        ...input,
        status,
        method,
        status === 'matched' ? '0.97' : '',
        status === 'matched' ? 'p-1' : '',
        reason,
        ...CANONICAL_FIELDS.flatMap((field) => [labels[field] ?? 'empty', '']),
      ];
    }

    const ROWS = [
      resultRow(['Ada', 'Lovelace', '+44 20 7946 0000', '=HYPERLINK("http://x")', ''], ['matched', 'exact', 'email'], {
        email: 'confirmed',
        phone: 'old',
      }),
      resultRow(['Bob', 'Jones', '', 'two lines\nand, a comma', 'confirmed'], ['unmatched', '', 'no candidate'], { first_name: 'unverified' }),
      resultRow(['', 'Nobody', '', '', ''], ['invalid', '', 'no first name']),
      resultRow(['Carol', 'Smith', '-', '@home', ''], ['matched', 'fuzzy', 'name'], { email: 'new' }),
    ];

    async function completedJob(rows: readonly string[][] = ROWS): Promise<void> {
      await postCsv(harness, CONTACTS);
      await harness.history(COMPLETE_HISTORY);
      const csv = [HEADER, ...rows].map((row) => formatCsvRecord(row)).join('');
      await harness.ports.objects.put(RESULT, Buffer.from(csv, 'utf8'), { contentType: 'text/csv; charset=utf-8' });
    }

    function rows(query: Record<string, string> = {}, token = ACME_TOKEN, id = FIRST_JOB_ID): Promise<ApiAnswer> {
      return harness.http({ routeKey: 'GET /jobs/{id}/rows', pathParameters: { id }, token, query });
    }

    it('answers the columns and the rows, numbered from 1, without the formula guard', async () => {
      await completedJob();

      const answer = await rows();

      expect(answer.status).toBe(200);
      expect(answer.json.columns).toEqual(HEADER);
      expect(answer.json.next).toBeNull();
      expect(answer.json.rows.map((row: { row: number }) => row.row)).toEqual([1, 2, 3, 4]);
      const [ada, bob, , carol] = answer.json.rows;
      // The file has '+44..., '=HYPERLINK..., '-, '@home (spreadsheet-safe); the API gives the values.
      expect(ada.values.slice(0, 4)).toEqual(['Ada', 'Lovelace', '+44 20 7946 0000', '=HYPERLINK("http://x")']);
      expect(bob.values[3]).toBe('two lines\nand, a comma');
      expect(carol.values.slice(2, 4)).toEqual(['-', '@home']);
      expect(ada.values).toEqual(ROWS[0]);
    });

    it('filters by match_status and by field label (result columns only, not an input column of the same name)', async () => {
      await completedJob();
      const numbers = (answer: ApiAnswer) => answer.json.rows.map((row: { row: number }) => row.row);

      expect(numbers(await rows({ status: 'matched' }))).toEqual([1, 4]);
      expect(numbers(await rows({ status: 'invalid' }))).toEqual([3]);
      expect(numbers(await rows({ label: 'confirmed' }))).toEqual([1]);
      expect(numbers(await rows({ label: 'old' }))).toEqual([1]);
      expect(numbers(await rows({ label: 'unverified' }))).toEqual([2]);
      expect(numbers(await rows({ status: 'matched', label: 'new' }))).toEqual([4]);
      expect(numbers(await rows({ status: 'unmatched', label: 'new' }))).toEqual([]);
    });

    it('pages with limit and the next cursor', async () => {
      await completedJob();

      const first = await rows({ limit: '3' });
      const second = await rows({ limit: '3', after: first.json.next });

      expect(first.json.rows.map((row: { row: number }) => row.row)).toEqual([1, 2, 3]);
      expect(first.json.next).toEqual(expect.any(String));
      expect(second.json.rows.map((row: { row: number }) => row.row)).toEqual([4]);
      expect(second.json.rows[0].values).toEqual(ROWS[3]);
      expect(second.json.next).toBeNull();
      // A page that ends exactly on the last row says so.
      expect((await rows({ limit: '4' })).json.next).toBeNull();
    });

    it(`reads at most ${ROWS_SCAN_LIMIT} rows per request: a sparse filter goes on with the cursor`, async () => {
      const many = Array.from({ length: ROWS_SCAN_LIMIT + 2 }, (_, index) =>
        resultRow([`P${index + 1}`, 'Doe', '', '', ''], index >= ROWS_SCAN_LIMIT - 1 ? ['invalid', '', 'no e-mail'] : ['unmatched', '', 'none']),
      );
      await completedJob(many);

      const first = await rows({ status: 'invalid', limit: '10' });
      expect(first.json.rows.map((row: { row: number }) => row.row)).toEqual([ROWS_SCAN_LIMIT]);
      expect(first.json.next).toEqual(expect.any(String));

      const second = await rows({ status: 'invalid', limit: '10', after: first.json.next });
      expect(second.json.rows.map((row: { row: number; values: string[] }) => [row.row, row.values[0]])).toEqual([
        [ROWS_SCAN_LIMIT + 1, `P${ROWS_SCAN_LIMIT + 1}`],
        [ROWS_SCAN_LIMIT + 2, `P${ROWS_SCAN_LIMIT + 2}`],
      ]);
      expect(second.json.next).toBeNull();
    });

    it('answers 409 before the job completes and when it failed, 404 to another tenant', async () => {
      await postCsv(harness, CONTACTS);
      const accepted = await rows();
      expect(accepted.status).toBe(409);
      expect(accepted.json.error.code).toBe('not_ready');

      await harness.history([fixture('job-planned.json'), fixture('stage-failed.json'), fixture('job-failed.json')]);
      expect((await rows()).json.error.code).toBe('job_failed');

      await harness.history(COMPLETE_HISTORY.slice(1));
      await harness.ports.objects.put(RESULT, Buffer.from([HEADER, ...ROWS].map((row) => formatCsvRecord(row)).join('')), {});
      expect((await rows()).status).toBe(200);
      const stranger = await rows({}, GLOBEX_TOKEN);
      expect(stranger.status).toBe(404);
      expect(stranger.json.error).toEqual({ code: 'not_found', message: `no job ${FIRST_JOB_ID}` });
    });

    it('refuses unknown filters, limits and cursors with 400', async () => {
      await completedJob();

      for (const [query, code] of [
        [{ status: 'maybe' }, 'invalid_option'],
        [{ label: 'empty' }, 'invalid_option'],
        [{ limit: '500' }, 'invalid_option'],
        [{ after: 'garbage' }, 'invalid_cursor'],
        [{ after: Buffer.from('1:999999').toString('base64url') }, 'invalid_cursor'],
      ] as const) {
        const answer = await rows(query);
        expect(answer.status).toBe(400);
        expect(answer.json.error.code).toBe(code);
      }
    });

    it('refuses with 400 a cursor that was forged, altered, or signed for another job, version or key', async () => {
      await completedJob();
      const next = (await rows({ limit: '1' })).json.next as string;
      expect((await rows({ limit: '1', after: next })).json.rows.map((row: { row: number }) => row.row)).toEqual([2]);
      const [payload, mac] = next.split('.') as [string, string];
      const offset = Number(Buffer.from(payload, 'base64url').toString().split(':')[1]);
      const scope = { key: CURSOR_SIGNING_KEY, jobId: FIRST_JOB_ID, version: 0 };

      const forged = [
        // The unsigned form cursors had before, pointing inside the first data row: cells would be misaligned.
        Buffer.from(`2:${offset + 3}`).toString('base64url'),
        // A signed cursor whose offset was moved, keeping its signature.
        `${Buffer.from(`2:${offset + 3}`).toString('base64url')}.${mac}`,
        // Well formed and signed, but for another job, another version, or with another key.
        encodeRowsCursor({ row: 2, offset }, { ...scope, jobId: 'job_OTHER' }),
        encodeRowsCursor({ row: 2, offset }, { ...scope, version: 1 }),
        encodeRowsCursor({ row: 2, offset }, { ...scope, key: Buffer.alloc(32, 8) }),
        `${next}.x`,
      ];
      for (const after of forged) {
        const answer = await rows({ after });
        expect(answer.status).toBe(400);
        expect(answer.json.error).toEqual({
          code: 'invalid_cursor',
          message: 'after is not a cursor this API handed out for this job and result version (use the `next` of a page)',
        });
      }
      // The same cursor, signed as this API signs it, is read.
      expect((await rows({ after: encodeRowsCursor({ row: 2, offset }, scope) })).status).toBe(200);
    });
  });
});
