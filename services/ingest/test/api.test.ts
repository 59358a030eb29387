import { deriveEventId } from '@refinery/events';
import {
  ACME_TOKEN,
  createHarness,
  FIRST_JOB_ID,
  FIRST_JOB_INPUT,
  fixture,
  GLOBEX_TOKEN,
  getJob,
  type IngestHarness,
  PNG_BYTES,
  postCsv,
  postJson,
  sampleFile,
  UPLOADS_BUCKET,
} from './helpers';

const CONTACTS = sampleFile('contacts.csv');

describe('ingest HTTP API', () => {
  let harness: IngestHarness;

  beforeEach(() => {
    harness = createHarness();
  });
  afterEach(() => harness.ports.cleanup());

  describe('POST /jobs with the CSV in the body', () => {
    it('accepts the file: 202 with the job id and a Location, stores the input and publishes job.created.v1, then its first progress', async () => {
      const answer = await postCsv(harness, CONTACTS);

      expect(answer.status).toBe(202);
      expect(answer.json).toEqual({ jobId: FIRST_JOB_ID, status: 'accepted' });
      expect(answer.headers.location).toBe(`/jobs/${FIRST_JOB_ID}`);
      expect(await harness.ports.objects.getBuffer(FIRST_JOB_INPUT)).toEqual(CONTACTS);
      expect(await harness.ports.objects.head(FIRST_JOB_INPUT)).toMatchObject({ sizeBytes: CONTACTS.length, contentType: 'text/csv' });

      const [created, progressed, ...others] = harness.ports.publisher.events();
      expect(others).toEqual([]);
      expect(harness.ports.publisher.entries[0]?.source).toBe('refinery.ingest');
      expect(created).toEqual({
        type: 'job.created.v1',
        source: 'refinery.ingest',
        metadata: {
          eventId: deriveEventId(FIRST_JOB_ID, 'job.created.v1'),
          occurredAt: '2026-11-28T12:00:00.000Z',
          tenantId: 'acme',
          jobId: FIRST_JOB_ID,
          correlationId: 'request-1',
          causationId: 'request-1',
        },
        data: { filename: 'upload.csv', upload: 'body', input: FIRST_JOB_INPUT, options: {} },
      });
      // The job's first snapshot, at once: what GET /jobs/{id} answers, version 1 (one event in the history).
      const view = (await getJob(harness, FIRST_JOB_ID)).json;
      expect(view).toMatchObject({ status: 'accepted', version: 1 });
      expect(progressed).toEqual({
        type: 'job.progressed.v1',
        source: 'refinery.ingest',
        metadata: {
          eventId: deriveEventId(FIRST_JOB_ID, 'job.progressed.v1', 1),
          occurredAt: '2026-11-28T12:00:00.000Z',
          tenantId: 'acme',
          jobId: FIRST_JOB_ID,
          correlationId: 'request-1',
          causationId: created?.metadata.eventId,
        },
        data: { job: view },
      });

      const history = await getJob(harness, FIRST_JOB_ID, '/events');
      expect(history.status).toBe(200);
      expect(history.json.events).toEqual([
        { id: created?.metadata.eventId, type: 'job.created.v1', occurredAt: '2026-11-28T12:00:00.000Z', data: created?.data },
      ]);
    });

    it('takes chunkRows and filename from the query string', async () => {
      const answer = await postCsv(harness, CONTACTS, { query: { chunkRows: '250', filename: 'customers.csv' } });

      expect(answer.status).toBe(202);
      expect(harness.ports.publisher.ofType('job.created.v1').map((event) => event.data)).toEqual([
        { filename: 'customers.csv', upload: 'body', input: FIRST_JOB_INPUT, options: { chunkRows: 250 } },
      ]);
      expect((await getJob(harness, FIRST_JOB_ID)).json).toMatchObject({ filename: 'customers.csv' });
    });

    it.each(['0', '-5', '2.5', 'abc', '100001', ''])('refuses chunkRows=%p with 400 invalid_option and creates nothing', async (chunkRows) => {
      const answer = await postCsv(harness, CONTACTS, { query: { chunkRows } });

      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({
        error: { code: 'invalid_option', message: `chunkRows must be an integer from 1 to 100000, got "${chunkRows}"` },
      });
      expect(harness.ports.publisher.entries).toEqual([]);
      expect(await harness.ports.objects.head(FIRST_JOB_INPUT)).toBeUndefined();
    });

    it('refuses a chunkRows over maxChunkRows (the chunk the matcher finishes in time) with 400 naming the limit and why, in the query or the JSON body', async () => {
      await harness.ports.cleanup();
      harness = createHarness({ maxChunkRows: 2_250 });
      const message =
        "chunkRows must be at most 2250 (maxChunkRows), got 2251: one matcher invocation looks up a chunk's rows at the data providers' rate " +
        "limit and must finish within its function's timeout; ask for smaller chunks or leave chunkRows out";

      const inline = await postCsv(harness, CONTACTS, { query: { chunkRows: '2251' } });
      expect({ status: inline.status, json: inline.json }).toEqual({ status: 400, json: { error: { code: 'chunk_rows_over_limit', message } } });
      const presigned = await postJson(harness, { sizeBytes: 120, filename: 'contacts.csv', chunkRows: 2_251 });
      expect({ status: presigned.status, json: presigned.json }).toEqual({
        status: 400,
        json: { error: { code: 'chunk_rows_over_limit', message } },
      });
      expect(harness.ports.publisher.entries).toEqual([]);
      expect(await harness.ports.objects.head(FIRST_JOB_INPUT)).toBeUndefined();

      const atTheLimit = await postCsv(harness, CONTACTS, { query: { chunkRows: '2250' } });
      expect(atTheLimit.status).toBe(202);
      expect(harness.ports.publisher.ofType('job.created.v1').map((event) => event.data.options)).toEqual([{ chunkRows: 2_250 }]);
    });

    it("takes the job's match and review thresholds from the query string", async () => {
      const answer = await postCsv(harness, CONTACTS, { query: { matchThreshold: '0.99', reviewThreshold: '0.6' } });

      expect(answer.status).toBe(202);
      expect(harness.ports.publisher.ofType('job.created.v1').map((event) => event.data.options)).toEqual([
        { thresholds: { match: 0.99, review: 0.6 } },
      ]);
    });

    it.each([
      [{ matchThreshold: '1' }, 'matchThreshold must be a probability strictly between 0 and 1, got "1"'],
      [{ reviewThreshold: 'half' }, 'reviewThreshold must be a probability strictly between 0 and 1, got "half"'],
      [{ matchThreshold: '0.5', reviewThreshold: '0.6' }, 'the review threshold must not be above the match threshold'],
    ])('refuses thresholds %p with 400 invalid_option and creates nothing', async (query, message) => {
      const answer = await postCsv(harness, CONTACTS, { query });

      expect(answer.status).toBe(400);
      expect(answer.json.error.code).toBe('invalid_option');
      expect(answer.json.error.message).toContain(message);
      expect(harness.ports.publisher.entries).toEqual([]);
    });

    it('accepts application/csv with a charset parameter as CSV', async () => {
      const answer = await postCsv(harness, CONTACTS, { headers: { 'content-type': 'application/csv; charset=utf-8' } });

      expect(answer.status).toBe(202);
      expect(harness.publishedTypes()).toEqual(['job.created.v1']);
    });
  });

  describe('POST /jobs rejections', () => {
    async function expectNothingCreated(): Promise<void> {
      expect(harness.ports.publisher.entries).toEqual([]);
      expect(await harness.ports.objects.head(FIRST_JOB_INPUT)).toBeUndefined();
      expect((await getJob(harness, FIRST_JOB_ID)).status).toBe(404);
    }

    it('answers 400 empty_body for an empty CSV body', async () => {
      const answer = await postCsv(harness, '');

      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({ error: { code: 'empty_body', message: 'the request body is empty; send the CSV file as the body' } });
      await expectNothingCreated();
    });

    it('answers 415 not_csv for binary content (a PNG image), naming what it looks like', async () => {
      const answer = await postCsv(harness, PNG_BYTES);

      expect(answer.status).toBe(415);
      expect(answer.json).toEqual({
        error: { code: 'not_csv', message: 'not a CSV file: looks like a PNG image (starts with bytes 89 50 4e 47)' },
      });
      await expectNothingCreated();
    });

    it('answers 422 unusable_header when no column maps to a contact field, listing the headers found', async () => {
      const answer = await postCsv(harness, sampleFile('not-contacts.csv'));

      expect(answer.status).toBe(422);
      expect(answer.json).toEqual({
        error: {
          code: 'unusable_header',
          message:
            'no usable header: found "Product", "Price", "Quantity"; need ' +
            'an email or phone column, or a name column (first_name, last_name or a full name) with one of company, title, street, city, state, postcode, birth_date, or birth_date with street or postcode',
          details: { found: ['Product', 'Price', 'Quantity'], mapped: [] },
        },
      });
      await expectNothingCreated();
    });

    it('lists the columns it did map when the header is not enough (a name but nothing to match on)', async () => {
      const answer = await postCsv(harness, 'First Name,Last Name,Favourite Colour\nAda,Lovelace,green\n');

      expect(answer.status).toBe(422);
      expect(answer.json.error.code).toBe('unusable_header');
      expect(answer.json.error.details).toEqual({
        found: ['First Name', 'Last Name', 'Favourite Colour'],
        mapped: [
          { name: 'First Name', field: 'first_name' },
          { name: 'Last Name', field: 'last_name' },
        ],
      });
      await expectNothingCreated();
    });

    it.each([
      ['text/plain', 'text/plain'],
      ['multipart/form-data; boundary=x', 'multipart/form-data'],
      [undefined, '(none)'],
    ])('answers 415 unsupported_media_type for Content-Type %p', async (contentType, shown) => {
      const answer = await harness.http({
        routeKey: 'POST /jobs',
        token: ACME_TOKEN,
        headers: contentType === undefined ? {} : { 'content-type': contentType },
        body: CONTACTS,
      });

      expect(answer.status).toBe(415);
      expect(answer.json).toEqual({
        error: {
          code: 'unsupported_media_type',
          message: `Content-Type ${shown} is not accepted: send the CSV as text/csv, or JSON {"filename"} as application/json to get an upload URL`,
        },
      });
      await expectNothingCreated();
    });

    it('answers 400 invalid_body when the JSON body does not parse', async () => {
      const answer = await postJson(harness, '{"filename": "contacts.csv"');

      expect(answer.status).toBe(400);
      expect(answer.json.error.code).toBe('invalid_body');
      expect(answer.json.error.message).toMatch(/^the request body is not valid JSON: /);
      await expectNothingCreated();
    });

    it('answers 400 invalid_body for an empty JSON body', async () => {
      const answer = await postJson(harness, '');

      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({ error: { code: 'invalid_body', message: 'the request body is empty; expected JSON' } });
      await expectNothingCreated();
    });

    it('answers 400 invalid_body naming the field when the JSON has no filename', async () => {
      const answer = await postJson(harness, { sizeBytes: 120, chunkRows: 100 });

      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({
        error: { code: 'invalid_body', message: '✖ Invalid input: expected string, received undefined\n  → at filename' },
      });
      await expectNothingCreated();
    });

    it('answers 400 invalid_body for a JSON chunkRows out of range', async () => {
      const answer = await postJson(harness, { sizeBytes: 120, filename: 'contacts.csv', chunkRows: 0 });

      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({ error: { code: 'invalid_body', message: '✖ Too small: expected number to be >=1\n  → at chunkRows' } });
      await expectNothingCreated();
    });
  });

  describe('POST /jobs with JSON { filename }: a presigned upload', () => {
    it('answers 201 with a create-only PUT URL for the input that the object store accepts', async () => {
      const before = Date.now();
      const answer = await postJson(harness, { sizeBytes: 120, filename: 'customers.csv', chunkRows: 500 });

      expect(answer.status).toBe(201);
      expect(answer.headers.location).toBe(`/jobs/${FIRST_JOB_ID}`);
      expect(answer.json).toEqual({
        jobId: FIRST_JOB_ID,
        status: 'accepted',
        upload: {
          url: expect.any(String),
          method: 'PUT',
          // The size declared is signed into the URL: storage takes a body of exactly that many bytes.
          headers: { 'content-type': 'text/csv', 'if-none-match': '*', 'content-length': '120' },
          expiresAt: expect.any(String),
        },
      });
      const { url, expiresAt } = answer.json.upload as { url: string; expiresAt: string };
      const parsed = new URL(url);
      expect(parsed.pathname).toBe(`/_objects/${UPLOADS_BUCKET}/tenants/acme/jobs/${FIRST_JOB_ID}/input.csv`);
      expect(
        harness.ports.objects.verifyPresigned('PUT', FIRST_JOB_INPUT, parsed.searchParams, {
          contentType: 'text/csv',
          ifNoneMatch: '*',
          contentLength: '120',
        }),
      ).toEqual({
        ok: true,
        conditions: { contentType: 'text/csv', ifNoneMatch: '*', downloadName: undefined, contentLength: 120 },
      });
      // A body of any other size is refused before a byte of it is stored.
      expect(
        harness.ports.objects.verifyPresigned('PUT', FIRST_JOB_INPUT, parsed.searchParams, {
          contentType: 'text/csv',
          ifNoneMatch: '*',
          contentLength: '300000000',
        }),
      ).toEqual({ ok: false, reason: 'the body must be exactly 120 bytes, sent with Content-Length: 120' });
      // Create-only: a PUT without If-None-Match: * (which could replace the input under the job) is refused.
      expect(
        harness.ports.objects.verifyPresigned('PUT', FIRST_JOB_INPUT, parsed.searchParams, { contentType: 'text/csv', contentLength: '120' }),
      ).toEqual({
        ok: false,
        reason: 'the If-None-Match: * header is required',
      });
      // uploadUrlTtlSeconds (3600) from now.
      const ttlMs = Date.parse(expiresAt) - before;
      expect(ttlMs).toBeGreaterThan(3595_000);
      expect(ttlMs).toBeLessThanOrEqual(3601_000);

      expect(harness.ports.publisher.ofType('job.created.v1').map((event) => event.data)).toEqual([
        { filename: 'customers.csv', upload: 'presigned', input: FIRST_JOB_INPUT, options: { chunkRows: 500 } },
      ]);
      expect(harness.publishedTypes()).toEqual(['job.created.v1']);
    });

    it('records an explicit column mapping in the job options', async () => {
      const answer = await postJson(harness, {
        filename: 'kunden.csv',
        sizeBytes: 120,
        columnMapping: { Vorname: 'first_name', Nachname: 'last_name', Notizen: null },
      });

      expect(answer.status).toBe(201);
      expect(harness.ports.publisher.ofType('job.created.v1')[0]?.data.options).toEqual({
        columnMapping: { Vorname: 'first_name', Nachname: 'last_name', Notizen: null },
      });
    });
  });

  describe('Idempotency-Key', () => {
    const key = { 'idempotency-key': 'upload-2026-11-28-contacts' };

    it('answers the same job for the same key and the same CSV, publishing job.created.v1 once', async () => {
      const first = await postCsv(harness, CONTACTS, { headers: key });
      // The input's upload notification submits the job, as S3 -> EventBridge -> SQS would.
      await harness.uploads([fixture('s3-object-created.json')]);
      const second = await postCsv(harness, CONTACTS, { headers: key });

      expect(first.status).toBe(202);
      expect(second.status).toBe(202);
      expect(second.json).toEqual(first.json);
      expect(second.json.jobId).toBe(FIRST_JOB_ID);
      expect(second.headers.location).toBe(first.headers.location);
      expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);
      const history = await getJob(harness, FIRST_JOB_ID, '/events');
      expect(history.json.events.map((event: { type: string }) => event.type)).toEqual(['job.created.v1', 'job.submitted.v1']);
    });

    it('answers 200 with the same job for a replayed JSON request, and a fresh upload URL while the file is missing', async () => {
      const first = await postJson(harness, { sizeBytes: 120, filename: 'customers.csv' }, { headers: key });
      const second = await postJson(harness, { sizeBytes: 120, filename: 'customers.csv' }, { headers: key });

      expect(first.status).toBe(201);
      expect(second.status).toBe(200);
      expect(second.json.jobId).toBe(first.json.jobId);
      expect(second.json.upload).toMatchObject({ method: 'PUT', headers: { 'content-type': 'text/csv', 'if-none-match': '*' } });
      expect(harness.publishedTypes()).toEqual(['job.created.v1']);
    });

    it('refuses the same key with a different body: 422 idempotency_key_reused, nothing new created', async () => {
      const first = await postCsv(harness, CONTACTS, { headers: key });
      const changedBody = await postCsv(harness, Buffer.concat([CONTACTS, Buffer.from('Barbara,Liskov,barbara@example.com,,02139\n')]), {
        headers: key,
      });
      const changedOptions = await postCsv(harness, CONTACTS, { headers: key, query: { chunkRows: '10' } });
      const changedKind = await postJson(harness, { sizeBytes: 120, filename: 'upload.csv' }, { headers: key });

      expect(first.status).toBe(202);
      for (const answer of [changedBody, changedOptions, changedKind]) {
        expect(answer.status).toBe(422);
        expect(answer.json).toEqual({ error: { code: 'idempotency_key_reused', message: 'this Idempotency-Key was used with a different request' } });
      }
      expect(harness.publishedTypes()).toEqual(['job.created.v1']);
    });

    it('keeps keys per tenant: another tenant with the same key gets its own job', async () => {
      const acme = await postCsv(harness, CONTACTS, { headers: key });
      const globex = await postCsv(harness, CONTACTS, { headers: key, token: GLOBEX_TOKEN });

      expect(globex.status).toBe(202);
      expect(globex.json.jobId).not.toBe(acme.json.jobId);
      expect(harness.ports.publisher.ofType('job.created.v1').map((event) => event.metadata.tenantId)).toEqual(['acme', 'globex']);
    });

    it('refuses an over-long key with 400 invalid_idempotency_key', async () => {
      const answer = await postCsv(harness, CONTACTS, { headers: { 'idempotency-key': 'k'.repeat(256) } });

      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({ error: { code: 'invalid_idempotency_key', message: 'Idempotency-Key must be 1 to 255 characters' } });
      expect(harness.ports.publisher.entries).toEqual([]);
    });

    it('submits an inline job on replay when the file was stored but the job never submitted', async () => {
      const first = await postCsv(harness, CONTACTS, { headers: key, query: { filename: 'contacts.csv' } });
      expect(harness.publishedTypes()).toEqual(['job.created.v1']);

      // The upload notification was lost: the client retries the request with the same key.
      const retry = await postCsv(harness, CONTACTS, { headers: key, query: { filename: 'contacts.csv' } });

      expect(retry.status).toBe(202);
      expect(retry.json).toEqual({ jobId: first.json.jobId, status: 'accepted' });
      expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);
      expect(harness.ports.publisher.ofType('job.submitted.v1')[0]?.data).toEqual({
        filename: 'contacts.csv',
        input: { ...FIRST_JOB_INPUT, key: `tenants/acme/jobs/${first.json.jobId}/input.csv`, sizeBytes: CONTACTS.length },
        options: {},
      });

      // Once submitted, neither another retry nor the late notification submits it again.
      await postCsv(harness, CONTACTS, { headers: key, query: { filename: 'contacts.csv' } });
      expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);
    });

    it('submits a presigned job on replay when the file was PUT but no notification submitted it', async () => {
      const first = await postJson(harness, { sizeBytes: 120, filename: 'customers.csv' }, { headers: key });
      await harness.ports.objects.put(FIRST_JOB_INPUT, CONTACTS, { contentType: 'text/csv', ifNoneMatch: '*' });

      const retry = await postJson(harness, { sizeBytes: 120, filename: 'customers.csv' }, { headers: key });

      expect(retry.status).toBe(200);
      expect(retry.json).toEqual({ jobId: first.json.jobId, status: 'accepted', upload: null });
      expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);
      expect(harness.ports.publisher.ofType('job.submitted.v1')[0]?.data.input).toEqual({ ...FIRST_JOB_INPUT, sizeBytes: CONTACTS.length });

      // The notification arriving afterwards changes nothing.
      const notice = await harness.uploads([fixture('s3-object-created.json')]);
      expect(notice.batchItemFailures).toEqual([]);
      expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);
    });

    it('answers a replay whose uploaded file is not a CSV with the job as it stands, leaving the failure to the uploads subscription', async () => {
      const first = await postJson(harness, { sizeBytes: 120, filename: 'customers.csv' }, { headers: key });
      await harness.ports.objects.put(FIRST_JOB_INPUT, PNG_BYTES, { ifNoneMatch: '*' });

      const retry = await postJson(harness, { sizeBytes: 120, filename: 'customers.csv' }, { headers: key });

      expect(retry.status).toBe(200);
      expect(retry.json).toEqual({ jobId: first.json.jobId, status: 'accepted', upload: null });
      expect(harness.publishedTypes()).toEqual(['job.created.v1']);
      const notice = await harness.uploads([fixture('s3-object-created.json')]);
      expect(notice.batchItemFailures).toEqual([]);
      expect(harness.ports.publisher.ofType('stage.failed.v1')[0]?.data).toMatchObject({ retryable: false, service: 'ingest' });
    });
  });

  describe('authentication and tenancy', () => {
    it.each([
      ['no Authorization header', undefined, 'missing bearer token (Authorization: Bearer TOKEN)'],
      ['a wrong token', 'Bearer token-wrong-999', 'the bearer token is not valid'],
      ["another tenant's token with a typo", `Bearer ${GLOBEX_TOKEN}7`, 'the bearer token is not valid'],
      ['another scheme', 'Basic dXNlcjpwYXNz', 'the bearer token is not valid'],
    ])('answers 401 unauthorized with a WWW-Authenticate challenge for %s', async (_case, authorization, message) => {
      const headers: Record<string, string> = authorization ? { authorization } : {};
      const answers = [
        await harness.http({ routeKey: 'POST /jobs', headers: { ...headers, 'content-type': 'text/csv' }, body: CONTACTS }),
        await harness.http({ routeKey: 'GET /jobs/{id}', pathParameters: { id: FIRST_JOB_ID }, headers }),
        await harness.http({ routeKey: 'GET /jobs/{id}/result', pathParameters: { id: FIRST_JOB_ID }, headers }),
      ];

      for (const answer of answers) {
        expect(answer.status).toBe(401);
        expect(answer.headers['www-authenticate']).toBe('Bearer');
        expect(answer.json).toEqual({ error: { code: 'unauthorized', message } });
      }
      expect(harness.ports.publisher.entries).toEqual([]);
      expect(await harness.ports.objects.head(FIRST_JOB_INPUT)).toBeUndefined();
    });

    it("answers 404 for another tenant's job on every read route, exactly as for a job that does not exist", async () => {
      const created = await postCsv(harness, CONTACTS);
      await harness.history([fixture('job-planned.json'), fixture('job-completed.json')]);
      const jobId = created.json.jobId as string;

      for (const route of ['', '/events', '/result'] as const) {
        const stranger = await getJob(harness, jobId, route, GLOBEX_TOKEN);
        const missing = await getJob(harness, 'job_DOESNOTEXIST', route, GLOBEX_TOKEN);
        expect(stranger.status).toBe(404);
        expect(stranger.json).toEqual({ error: { code: 'not_found', message: `no job ${jobId}` } });
        expect(missing.status).toBe(404);
        expect(missing.json).toEqual({ error: { code: 'not_found', message: 'no job job_DOESNOTEXIST' } });
        // The owner still sees it.
        expect((await getJob(harness, jobId, route)).status).toBe(route === '/result' ? 302 : 200);
      }
    });
  });

  describe('GET /jobs/{id}', () => {
    it('shows an accepted job before it is submitted', async () => {
      await postCsv(harness, CONTACTS, { query: { filename: 'contacts.csv' } });

      const answer = await getJob(harness, FIRST_JOB_ID);

      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(answer.json).toEqual({
        jobId: FIRST_JOB_ID,
        status: 'accepted',
        filename: 'contacts.csv',
        rows: { total: 0, done: 0, matched: 0, unmatched: 0, invalid: 0 },
        byMethod: { exact: 0, fuzzy: 0, nickname: 0 },
        chunks: { total: 0, done: 0 },
        createdAt: '2026-11-28T12:00:00.000Z',
        completedAt: null,
        error: null,
        version: 1,
      });
    });

    it('shows progress, then the totals once completed', async () => {
      await postCsv(harness, CONTACTS, { query: { filename: 'contacts.csv' } });
      await harness.uploads([fixture('s3-object-created.json')]);
      await harness.history([fixture('job-planned.json'), fixture('chunk-labeled-0.json')]);

      expect((await getJob(harness, FIRST_JOB_ID)).json).toMatchObject({
        status: 'running',
        rows: { total: 5, done: 3, matched: 2, unmatched: 1, invalid: 0 },
        byMethod: { exact: 1, fuzzy: 1, nickname: 0 },
        chunks: { total: 2, done: 1 },
        completedAt: null,
        version: 4,
      });

      await harness.history([fixture('chunk-labeled-1.json'), fixture('job-completed.json')]);

      expect((await getJob(harness, FIRST_JOB_ID)).json).toEqual({
        jobId: FIRST_JOB_ID,
        status: 'completed',
        filename: 'contacts.csv',
        rows: { total: 5, done: 5, matched: 3, unmatched: 1, invalid: 1 },
        byMethod: { exact: 1, fuzzy: 1, nickname: 1 },
        chunks: { total: 2, done: 2 },
        createdAt: '2026-11-28T12:00:00.000Z',
        completedAt: '2026-11-28T12:10:00.000Z',
        error: null,
        version: 6,
      });
    });
  });

  describe('GET /jobs/{id}/events', () => {
    it('lists the history oldest first, whatever order the events arrived in', async () => {
      await postCsv(harness, CONTACTS);
      await harness.uploads([fixture('s3-object-created.json')]);
      await harness.history([
        fixture('job-completed.json'),
        fixture('chunk-labeled-1.json'),
        fixture('chunk-labeled-0.json'),
        fixture('job-planned.json'),
      ]);

      const answer = await getJob(harness, FIRST_JOB_ID, '/events');

      expect(answer.status).toBe(200);
      const events = answer.json.events as { id: string; type: string; occurredAt: string; data: unknown }[];
      expect(events.map((event) => [event.type, event.occurredAt])).toEqual([
        ['job.created.v1', '2026-11-28T12:00:00.000Z'],
        ['job.submitted.v1', '2026-11-28T12:00:00.001Z'],
        ['job.planned.v1', '2026-11-28T12:00:05.000Z'],
        ['chunk.labeled.v1', '2026-11-28T12:01:00.000Z'],
        ['chunk.labeled.v1', '2026-11-28T12:01:30.000Z'],
        ['job.completed.v1', '2026-11-28T12:10:00.000Z'],
      ]);
      const completed = JSON.parse(fixture('job-completed.json'));
      expect(events[5]).toEqual({
        id: completed.detail.metadata.eventId,
        type: 'job.completed.v1',
        occurredAt: '2026-11-28T12:10:00.000Z',
        data: completed.detail.data,
      });
      expect(Object.keys(events[0] ?? {}).sort()).toEqual(['data', 'id', 'occurredAt', 'type']);
    });

    /** `count` chunk.labeled.v1 events of the first job, a millisecond apart, as EventBridge would deliver them. */
    function labeledEvents(count: number): string[] {
      const template = JSON.parse(fixture('chunk-labeled-0.json'));
      return Array.from({ length: count }, (_, index) => {
        const event = structuredClone(template);
        event.detail.metadata.eventId = `labeled-${String(index).padStart(5, '0')}`;
        event.detail.metadata.occurredAt = new Date(Date.parse('2026-11-28T12:01:00.000Z') + index).toISOString();
        event.detail.data.chunk = { index, count };
        event.detail.data.rows = { first: index * 3, count: 3 };
        return JSON.stringify(event);
      });
    }

    async function readAllPages(limit?: string): Promise<{ pages: number; ids: string[] }> {
      const ids: string[] = [];
      let pages = 0;
      let cursor: string | null | undefined;
      do {
        const query: Record<string, string> = { ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) };
        const answer = await harness.http({ routeKey: 'GET /jobs/{id}/events', pathParameters: { id: FIRST_JOB_ID }, token: ACME_TOKEN, query });
        expect(answer.status).toBe(200);
        pages += 1;
        ids.push(...answer.json.events.map((event: { id: string }) => event.id));
        cursor = answer.json.nextCursor;
      } while (cursor);
      return { pages, ids };
    }

    it('pages a long history in order, each page one query of at most `limit` events, each event once', async () => {
      await postCsv(harness, CONTACTS);
      const events = labeledEvents(2_500);
      // Delivered newest first, in batches, and each batch twice (at-least-once delivery).
      for (let end = events.length; end > 0; end -= 500) {
        const batch = events.slice(Math.max(0, end - 500), end).reverse();
        await harness.history(batch);
        await harness.history(batch.slice(0, 50), { receiveCount: 2 });
      }
      const created = (await getJob(harness, FIRST_JOB_ID, '/events')).json.events[0].id;
      const expected = [created, ...Array.from({ length: 2_500 }, (_, index) => `labeled-${String(index).padStart(5, '0')}`)];

      const byDefault = await readAllPages();
      expect(byDefault.pages).toBe(26); // 100 a page by default: 2,501 events
      expect(byDefault.ids).toEqual(expected);
      const byThousand = await readAllPages('1000');
      expect(byThousand.pages).toBe(3);
      expect(byThousand.ids).toEqual(expected);
      // 2,750 deliveries, each recorded with the job's summary in one transaction: seconds on a loaded machine.
    }, 60_000);

    it('refuses a limit above 1,000, and a cursor it did not hand out, of another job or of another tenant', async () => {
      await postCsv(harness, CONTACTS);
      await harness.history(labeledEvents(3));
      const route = { routeKey: 'GET /jobs/{id}/events', pathParameters: { id: FIRST_JOB_ID } } as const;
      expect((await harness.http({ ...route, token: ACME_TOKEN, query: { limit: '1001' } })).status).toBe(400);
      const first = await harness.http({ ...route, token: ACME_TOKEN, query: { limit: '2' } });
      const cursor = first.json.nextCursor as string;
      expect(first.json.events).toHaveLength(2);

      const [payload, mac] = cursor.split('.') as [string, string];
      const sortKey = Buffer.from(payload, 'base64url').toString('utf8');
      const forged = `${Buffer.from(sortKey.replace(/#.*/, '#'), 'utf8').toString('base64url')}.${mac}`;
      for (const bad of [forged, `${Buffer.from('at#', 'utf8').toString('base64url')}`, 'not-a-cursor', `${cursor}x`]) {
        const answer = await harness.http({ ...route, token: ACME_TOKEN, query: { cursor: bad } });
        expect(answer.status).toBe(400);
        expect(answer.json.error.code).toBe('invalid_cursor');
      }
      // Signed for this tenant and job: another job's route does not take it, nor does another tenant.
      const otherJob = await harness.http({ ...route, pathParameters: { id: 'job_OTHER' }, token: ACME_TOKEN, query: { cursor } });
      expect(otherJob.status).toBe(400);
      const stranger = await harness.http({ ...route, token: GLOBEX_TOKEN, query: { cursor } });
      expect(stranger.status).toBe(400);
      expect((await harness.http({ ...route, token: GLOBEX_TOKEN })).status).toBe(404);
      // The owner goes on where the page stopped.
      const next = await harness.http({ ...route, token: ACME_TOKEN, query: { cursor } });
      expect(next.json.events.map((event: { id: string }) => event.id)).toEqual(['labeled-00001', 'labeled-00002']);
      expect(next.json.nextCursor).toBeNull();
    });
  });

  describe('GET /jobs/{id}/result', () => {
    beforeEach(async () => {
      await postCsv(harness, CONTACTS, { query: { filename: 'customers.csv' } });
    });

    it('answers 409 not_ready before the job completes, saying how far it got', async () => {
      const accepted = await getJob(harness, FIRST_JOB_ID, '/result');
      expect(accepted.status).toBe(409);
      expect(accepted.json).toEqual({
        error: { code: 'not_ready', message: 'the job is accepted; 0 of ? rows done', details: { status: 'accepted' } },
      });

      await harness.history([fixture('job-planned.json'), fixture('chunk-labeled-0.json')]);

      const running = await getJob(harness, FIRST_JOB_ID, '/result');
      expect(running.status).toBe(409);
      expect(running.json).toEqual({ error: { code: 'not_ready', message: 'the job is running; 3 of 5 rows done', details: { status: 'running' } } });
    });

    it('answers 409 job_failed with the reason once job.failed.v1 is in the history', async () => {
      await harness.history([fixture('job-planned.json'), fixture('stage-failed.json'), fixture('job-failed.json')]);

      const answer = await getJob(harness, FIRST_JOB_ID, '/result');

      expect(answer.status).toBe(409);
      expect(answer.json).toEqual({
        error: {
          code: 'job_failed',
          message:
            'the job failed, so there is no result: matcher gave up on chunk 2 (rows 4-5) after 5 attempts: ' +
            'directory provider unavailable: connect ECONNREFUSED 10.0.0.7:443',
        },
      });
    });

    it('redirects (302) to a presigned GET URL of the result once job.completed.v1 is in the history', async () => {
      await harness.history([
        fixture('job-planned.json'),
        fixture('chunk-labeled-0.json'),
        fixture('chunk-labeled-1.json'),
        fixture('job-completed.json'),
      ]);
      const result = { bucket: 'merger-results', key: `tenants/acme/jobs/${FIRST_JOB_ID}/result.csv` };

      const answer = await getJob(harness, FIRST_JOB_ID, '/result');

      expect(answer.status).toBe(302);
      expect(answer.body).toBe('');
      expect(answer.headers['cache-control']).toBe('no-store');
      const location = new URL(String(answer.headers.location));
      expect(location.pathname).toBe(`/_objects/merger-results/tenants/acme/jobs/${FIRST_JOB_ID}/result.csv`);
      expect(harness.ports.objects.verifyPresigned('GET', result, location.searchParams, {})).toEqual({
        ok: true,
        conditions: { contentType: undefined, ifNoneMatch: undefined, downloadName: 'customers-refined.csv' },
      });
      expect(harness.ports.objects.verifyPresigned('GET', { ...result, key: 'tenants/globex/jobs/x/result.csv' }, location.searchParams, {})).toEqual(
        {
          ok: false,
          reason: 'the signature does not match',
        },
      );
    });
  });
});
