import { awsClients, awsPlatform } from '@refinery/aws-runtime';
import { formatCsvRecord, parseCsvRecords, sniffCsv, withoutFormulaGuard } from '@refinery/csv';
import { noMetrics } from '@refinery/ports';
import { composeService, SecretSealer, TokenRegistry } from '@refinery/runtime';
import { createTestPorts } from '@refinery/test-support';
import { SINGLE_CONTACT_COLUMNS, singleContactCsv } from '../src/domain/single-contact';
import { DEFAULT_INGEST_CONFIG, ingestHandlers, ingestService } from '../src/service';
import {
  type ApiAnswer,
  createHarness,
  FIRST_JOB_ID,
  FIRST_JOB_INPUT,
  fixture,
  GLOBEX_TOKEN,
  getJob,
  type IngestHarness,
  postContact,
  postCsv,
  UPLOADS_BUCKET,
} from './helpers';

const ADA = { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com', phone: '+44 20 7946 0001' };

/** Where job-completed.json says the result of job_TEST000001 is. */
const RESULT_REF = { bucket: 'merger-results', key: `tenants/acme/jobs/${FIRST_JOB_ID}/result.csv` };
const RESULT_COLUMNS = ['match_status', 'match_method', 'match_score', 'match_id', 'match_reason', 'phone_status', 'phone_latest'];

/** The result file of the one-row job, written as the merger writes it (formatCsvRecord: formula-safe cells). */
async function putResult(harness: IngestHarness, resultCells: readonly string[]): Promise<void> {
  const inputCells = SINGLE_CONTACT_COLUMNS.map((field) => (ADA as Record<string, string>)[field] ?? '');
  const csv = formatCsvRecord([...SINGLE_CONTACT_COLUMNS, ...RESULT_COLUMNS]) + formatCsvRecord([...inputCells, ...resultCells]);
  await harness.ports.objects.put(RESULT_REF, csv, { contentType: 'text/csv; charset=utf-8' });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('POST /contacts/match', () => {
  let harness: IngestHarness;

  beforeEach(() => {
    harness = createHarness();
  });
  afterEach(() => harness.ports.cleanup());

  describe('a job that does not finish within the deadline', () => {
    it('answers 202 with the job to poll, having stored the contact as a one-row CSV and submitted it at once', async () => {
      const started = performance.now();
      const answer = await postContact(harness, { contact: ADA }, { query: { deadlineMs: '30' } });
      const tookMs = performance.now() - started;

      expect(answer.status).toBe(202);
      expect(answer.json).toEqual({
        jobId: FIRST_JOB_ID,
        status: 'accepted',
        links: { self: `/jobs/${FIRST_JOB_ID}`, result: `/jobs/${FIRST_JOB_ID}/result` },
      });
      expect(answer.headers.location).toBe(`/jobs/${FIRST_JOB_ID}`);
      expect(tookMs).toBeGreaterThanOrEqual(25);
      expect(tookMs).toBeLessThan(2000);

      // The input: every canonical field and full_name, in that order, the contact's values under them.
      const input = (await harness.ports.objects.getBuffer(FIRST_JOB_INPUT)).toString('utf8');
      expect(input).toBe(
        'first_name,last_name,email,phone,company,title,street,city,state,postcode,country,birth_date,full_name\n' +
          'Ada,Lovelace,ada@example.com,+44 20 7946 0001,,,,,,,,,\n',
      );
      expect(await harness.ports.objects.head(FIRST_JOB_INPUT)).toMatchObject({ contentType: 'text/csv' });

      // Created like any CSV sent in a request body, and submitted by the request itself.
      expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);
      expect(harness.ports.publisher.ofType('job.created.v1')[0]?.data).toEqual({
        filename: 'contact.csv',
        upload: 'body',
        input: FIRST_JOB_INPUT,
        options: {},
      });
      expect(harness.ports.publisher.ofType('job.submitted.v1')[0]?.data).toEqual({
        filename: 'contact.csv',
        input: { ...FIRST_JOB_INPUT, sizeBytes: Buffer.byteLength(input) },
        options: {},
      });
      expect((await getJob(harness, FIRST_JOB_ID)).json).toMatchObject({ jobId: FIRST_JOB_ID, status: 'accepted', filename: 'contact.csv' });

      // The upload notification arriving afterwards finds the job submitted.
      expect(await harness.uploads([fixture('s3-object-created.json')])).toMatchObject({ batchItemFailures: [] });
      expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);
    });

    it('answers with the job as it stands: running, once the chunker planned it', async () => {
      // A deadline the test's own steps fit in on a loaded machine (400 ms did not, once, at a load of 25 on 2 cores):
      // the answer comes at the deadline whatever it is, and must see the plan recorded before it.
      const pending = postContact(harness, { contact: ADA }, { query: { deadlineMs: '2000' } });
      await until(() => harness.publishedTypes().includes('job.submitted.v1'), 'the job to be submitted');
      await harness.history([fixture('job-planned.json')]);

      const answer = await pending;

      expect(answer.status).toBe(202);
      expect(answer.json).toMatchObject({ jobId: FIRST_JOB_ID, status: 'running' });
    });

    it('waits the configured deadline when the request does not say, and caps ?deadlineMs= at it', async () => {
      const short = createHarness({ contactMatchDeadlineMs: 40 });
      try {
        for (const query of [undefined, { deadlineMs: '600000' }]) {
          const started = performance.now();
          const answer = await postContact(short, { contact: ADA }, query ? { query } : {});
          const tookMs = performance.now() - started;
          expect(answer.status).toBe(202);
          expect(tookMs).toBeGreaterThanOrEqual(35);
          expect(tookMs).toBeLessThan(1500);
        }
      } finally {
        short.ports.cleanup();
      }
    });

    it('answers at once with deadlineMs=0', async () => {
      const started = performance.now();
      const answer = await postContact(harness, { contact: ADA }, { query: { deadlineMs: '0' } });

      expect(answer.status).toBe(202);
      expect(performance.now() - started).toBeLessThan(1000);
    });
  });

  describe('a job that settles within the deadline', () => {
    it('answers 200 with the result row, every column of the result file, once the job completes', async () => {
      const pending = postContact(harness, { contact: ADA });
      await until(() => harness.publishedTypes().includes('job.submitted.v1'), 'the job to be submitted');
      await putResult(harness, ['matched', 'exact', '1.000', 'P000042', 'email and phone agree', 'confirmed', '+442079460001']);
      await harness.history([fixture('job-planned.json'), fixture('job-completed.json')]);

      const answer = await pending;

      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({
        jobId: FIRST_JOB_ID,
        result: {
          first_name: 'Ada',
          last_name: 'Lovelace',
          email: 'ada@example.com',
          // Without the apostrophe the result file puts before a leading "+" for spreadsheets.
          phone: '+44 20 7946 0001',
          company: '',
          title: '',
          street: '',
          city: '',
          state: '',
          postcode: '',
          country: '',
          birth_date: '',
          full_name: '',
          match_status: 'matched',
          match_method: 'exact',
          match_score: '1.000',
          match_id: 'P000042',
          match_reason: 'email and phone agree',
          phone_status: 'confirmed',
          phone_latest: '+442079460001',
        },
      });
      expect(Object.keys(answer.json.result)).toEqual([...SINGLE_CONTACT_COLUMNS, ...RESULT_COLUMNS]);
    });

    it('answers 200 with an invalid row like any other row: the pipeline judged the contact, not the request', async () => {
      const pending = postContact(harness, { contact: { first_name: 'Ada', last_name: 'Lovelace' } });
      await until(() => harness.publishedTypes().includes('job.submitted.v1'), 'the job to be submitted');
      await putResult(harness, ['invalid', '', '0.000', '', 'only a name: needs at least one more field', 'empty', '']);
      await harness.history([fixture('job-planned.json'), fixture('job-completed.json')]);

      const answer = await pending;

      expect(answer.status).toBe(200);
      expect(answer.json.result).toMatchObject({ match_status: 'invalid', match_reason: 'only a name: needs at least one more field' });
    });

    it('answers 422 job_failed with the reason and the job id once the job fails', async () => {
      const pending = postContact(harness, { contact: ADA });
      await until(() => harness.publishedTypes().includes('job.submitted.v1'), 'the job to be submitted');
      await harness.history([fixture('job-planned.json'), fixture('stage-failed.json'), fixture('job-failed.json')]);

      const answer = await pending;

      expect(answer.status).toBe(422);
      expect(answer.json).toEqual({
        error: {
          code: 'job_failed',
          message:
            "the contact's job failed: matcher gave up on chunk 2 (rows 4-5) after 5 attempts: " +
            'directory provider unavailable: connect ECONNREFUSED 10.0.0.7:443',
          details: { jobId: FIRST_JOB_ID },
        },
      });
    });
  });

  describe('Idempotency-Key', () => {
    const key = { 'idempotency-key': 'mobile-retry-7' };

    it('answers a retry with the same job, never a second one, and with its row once it has completed', async () => {
      const first = await postContact(harness, { contact: ADA }, { headers: key, query: { deadlineMs: '0' } });
      const retry = await postContact(harness, { contact: ADA }, { headers: key, query: { deadlineMs: '0' } });

      expect(first.status).toBe(202);
      expect(retry.status).toBe(202);
      expect(retry.json.jobId).toBe(first.json.jobId);
      expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);

      await putResult(harness, ['matched', 'exact', '1.000', 'P000042', 'email and phone agree', 'confirmed', '+442079460001']);
      await harness.history([fixture('job-planned.json'), fixture('job-completed.json')]);
      const started = performance.now();
      const late = await postContact(harness, { contact: ADA }, { headers: key });

      expect(late.status).toBe(200);
      expect(late.json).toMatchObject({ jobId: first.json.jobId, result: { match_status: 'matched', match_id: 'P000042' } });
      // Settled already: no waiting.
      expect(performance.now() - started).toBeLessThan(1000);
      expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);
    });

    it('answers 422 idempotency_key_reused when the key comes back with another contact', async () => {
      await postContact(harness, { contact: ADA }, { headers: key, query: { deadlineMs: '0' } });

      const other = await postContact(harness, { contact: { ...ADA, email: 'ada@lovelace.dev' } }, { headers: key, query: { deadlineMs: '0' } });

      expect(other.status).toBe(422);
      expect(other.json).toEqual({ error: { code: 'idempotency_key_reused', message: 'this Idempotency-Key was used with a different request' } });
      expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);
    });

    it('does not confuse a key used for a file with one used for a contact', async () => {
      await postCsv(harness, 'First Name,Last Name,Email\nAda,Lovelace,ada@example.com\n', { headers: key });

      const contact = await postContact(harness, { contact: ADA }, { headers: key, query: { deadlineMs: '0' } });

      expect(contact.status).toBe(422);
      expect(contact.json.error.code).toBe('idempotency_key_reused');
    });
  });

  describe('tenancy', () => {
    it("keeps the contact's job from other tenants", async () => {
      const answer = await postContact(harness, { contact: ADA }, { query: { deadlineMs: '0' } });

      for (const route of ['', '/events', '/result'] as const) {
        expect((await getJob(harness, answer.json.jobId, route, GLOBEX_TOKEN)).status).toBe(404);
      }
      expect((await getJob(harness, answer.json.jobId)).status).toBe(200);
    });

    it("scopes Idempotency-Keys to the tenant: another tenant's same key makes its own job", async () => {
      const key = { 'idempotency-key': 'shared-key' };
      const acme = await postContact(harness, { contact: ADA }, { headers: key, query: { deadlineMs: '0' } });
      const globex = await postContact(harness, { contact: ADA }, { headers: key, token: GLOBEX_TOKEN, query: { deadlineMs: '0' } });

      expect(globex.status).toBe(202);
      expect(globex.json.jobId).not.toBe(acme.json.jobId);
    });
  });

  describe('rejections (nothing is created)', () => {
    async function expectRejected(answer: ApiAnswer, status: number, error: { code: string; message: string }): Promise<void> {
      expect({ status: answer.status, body: answer.json }).toEqual({ status, body: { error } });
      expect(harness.ports.publisher.entries).toEqual([]);
      expect(await harness.ports.objects.head(FIRST_JOB_INPUT)).toBeUndefined();
    }

    it.each([
      ['an unknown top-level key', { contact: ADA, extra: 1 }, '✖ Unrecognized key: "extra"'],
      ['no contact', { options: {} }, '✖ Invalid input: expected object, received undefined\n  → at contact'],
      ['an array', [ADA], '✖ Invalid input: expected object, received array'],
      [
        'an unknown field and a number, both listed',
        { contact: { ...ADA, nickname: 'Addie', postcode: 10001 } },
        '✖ Unrecognized key: "nickname"\n  → at contact\n✖ Invalid input: expected string, received number\n  → at contact.postcode',
      ],
      [
        'a contact without values',
        { contact: { email: '  ' } },
        '✖ the contact has no values: give a name (first_name and last_name, or full_name) and something to match on (email, phone, ...)\n  → at contact',
      ],
      [
        'both name and full_name',
        { contact: { name: 'Ada Lovelace', full_name: 'Ada Lovelace', email: 'ada@example.com' } },
        '✖ give the full name as full_name or as name, not both\n  → at contact.name',
      ],
      ['a value over 1000 characters', { contact: { ...ADA, title: 'x'.repeat(1001) } }, '✖ at most 1000 characters\n  → at contact.title'],
      [
        'unknown options and a malformed region',
        { contact: ADA, options: { defaultRegion: 'GBR', chunkRows: 5 } },
        '✖ Unrecognized key: "chunkRows"\n  → at options\n✖ an ISO 3166 alpha-2 country code, e.g. "GB"\n  → at options.defaultRegion',
      ],
    ])('answers 400 invalid_body listing what is wrong: %s', async (_case, body, message) => {
      await expectRejected(await postContact(harness, body), 400, { code: 'invalid_body', message });
    });

    it('answers 400 invalid_body for a body that is not JSON', async () => {
      const answer = await postContact(harness, '{"contact": ');

      expect(answer.status).toBe(400);
      expect(answer.json.error.code).toBe('invalid_body');
      expect(answer.json.error.message).toMatch(/^the request body is not valid JSON: /);
      expect(harness.ports.publisher.entries).toEqual([]);
    });

    it('answers 400 unsupported_option for options.defaultRegion, which jobs cannot carry yet', async () => {
      await expectRejected(await postContact(harness, { contact: ADA, options: { defaultRegion: 'GB' } }), 400, {
        code: 'unsupported_option',
        message:
          'options.defaultRegion is not supported yet: phone numbers without a country code are read in the region the ' +
          "service is configured with; give the phone in international format (+44 ...) or the contact's country instead",
      });
    });

    it.each(['-1', '1.5', 'soon', ''])('answers 400 invalid_option for deadlineMs=%p', async (deadlineMs) => {
      await expectRejected(await postContact(harness, { contact: ADA }, { query: { deadlineMs } }), 400, {
        code: 'invalid_option',
        message: `deadlineMs must be a whole number of milliseconds from 0 to 10000, got "${deadlineMs}"`,
      });
    });

    it('answers 415 for a body that is not sent as JSON', async () => {
      await expectRejected(await postContact(harness, { contact: ADA }, { headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, {
        code: 'unsupported_media_type',
        message: 'Content-Type application/x-www-form-urlencoded is not accepted: send {"contact": {...}} as application/json',
      });
    });

    it('answers 401 without a valid token', async () => {
      const answer = await harness.http({
        routeKey: 'POST /contacts/match',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ contact: ADA }),
      });

      expect(answer.status).toBe(401);
      expect(harness.ports.publisher.entries).toEqual([]);
    });
  });
});

describe('the one-row input file', () => {
  it('keeps values exactly, quoting only what CSV needs quoted, and always has a usable header', async () => {
    const contact = {
      full_name: 'Ada "Countess" Lovelace',
      street: "12 St James's Square,\nLondon",
      phone: '+44 20 7946 0001',
      company: '=HYPERLINK("x")',
      title: ' Analyst ',
    };
    const csv = singleContactCsv(contact);

    const sniffed = sniffCsv(csv, { complete: true });
    expect(sniffed.ok && sniffed.header.columns).toEqual([...SINGLE_CONTACT_COLUMNS]);
    const records: string[][] = [];
    for await (const record of parseCsvRecords(csv, { delimiter: ',', encoding: 'utf-8', hasBom: false })) records.push(record);
    expect(records).toHaveLength(2);
    expect(Object.fromEntries(SINGLE_CONTACT_COLUMNS.map((field, index) => [field, records[1]?.[index]]))).toEqual({
      first_name: '',
      last_name: '',
      email: '',
      phone: '+44 20 7946 0001',
      company: '=HYPERLINK("x")',
      title: ' Analyst ',
      street: "12 St James's Square,\nLondon",
      city: '',
      state: '',
      postcode: '',
      country: '',
      birth_date: '',
      full_name: 'Ada "Countess" Lovelace',
    });
  });

  it('takes `name` as full_name', async () => {
    const harness = createHarness();
    try {
      await postContact(harness, { contact: { name: 'Ada Lovelace', email: 'ada@example.com' } }, { query: { deadlineMs: '0' } });
      const input = (await harness.ports.objects.getBuffer(FIRST_JOB_INPUT)).toString('utf8');
      expect(input.split('\n')[1]).toBe(',,ada@example.com,,,,,,,,,,Ada Lovelace');
    } finally {
      harness.ports.cleanup();
    }
  });

  it.each([
    ["'+14155550134", '+14155550134'],
    ["'=1+1", '=1+1'],
    ["'-", '-'],
    ["'plain", "'plain"],
    ["'", "'"],
    ['+14155550134', '+14155550134'],
  ])('reads the result cell %p as %p', (cell, value) => {
    expect(withoutFormulaGuard(cell)).toBe(value);
  });
});

describe('the contact-match deadline setting', () => {
  it('refuses to start with a deadline the API function cannot honour', () => {
    const ports = createTestPorts();
    try {
      const start = (contactMatchDeadlineMs: number) =>
        ingestHandlers({
          publisher: ports.publisher,
          clock: ports.clock,
          ids: ports.ids,
          logger: ports.logger,
          metrics: noMetrics,
          config: { ...DEFAULT_INGEST_CONFIG, uploadsBucket: UPLOADS_BUCKET, cursorSigningKey: Buffer.alloc(32, 7), contactMatchDeadlineMs },
          objects: ports.objects,
          jobs: ports.table('ingest-jobs'),
          tokens: TokenRegistry.parse('acme:token-acme-123'),
          secrets: new SecretSealer(Buffer.alloc(32, 7)),
        });
      expect(() => start(25_001)).toThrow(
        'invalid ingest configuration: contactMatchDeadlineMs must be an integer from 1 to 25000 ' +
          '(the API function times out after 29 s and needs 4000 ms besides the wait), got 25001',
      );
      expect(() => start(0)).toThrow(/contactMatchDeadlineMs must be an integer from 1 to 25000/);
      expect(() => start(25_000)).not.toThrow();
    } finally {
      ports.cleanup();
    }
  });

  it('reads CONTACT_MATCH_DEADLINE_MS at cold start, refusing more than the API function allows', async () => {
    const env = {
      EVENT_BUS_NAME: 'bus',
      UPLOADS_BUCKET: 'uploads',
      JOBS_TABLE: 'jobs',
      REFINERY_API_TOKENS: 'acme:token-acme-123',
      KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    };
    const clients = awsClients();

    const lambda = (environment: Record<string, string>) => composeService(ingestService, awsPlatform(environment, clients));

    await expect(lambda({ ...env, CONTACT_MATCH_DEADLINE_MS: '30000' })).rejects.toThrow(
      'invalid configuration from environment: CONTACT_MATCH_DEADLINE_MS: at most 25000 ms: the API function times out ' +
        'after 29 s and needs 4000 ms besides the wait',
    );
    await expect(lambda({ ...env, CONTACT_MATCH_DEADLINE_MS: 'soon' })).rejects.toThrow(/CONTACT_MATCH_DEADLINE_MS: /);
    await expect(lambda({ ...env, CONTACT_MATCH_DEADLINE_MS: '25000' })).resolves.toMatchObject({ http: expect.any(Function) });
    await expect(lambda(env)).resolves.toMatchObject({ http: expect.any(Function) });
  });
});
