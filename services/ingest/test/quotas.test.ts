import { rmSync, writeFileSync } from 'node:fs';
import { eventBridgeBody, sqsEvent, testContext } from '@refinery/test-support';
import {
  ACME_TOKEN,
  createHarness,
  FIRST_JOB_ID,
  fixture,
  GLOBEX_TOKEN,
  getJob,
  type IngestHarness,
  postCsv,
  postJson,
  SCHEDULED_EVENT,
  sampleFile,
} from './helpers';

// Per-tenant quotas and limits of ingest (issue 14): jobs in flight and created per minute (429 with Retry-After),
// upload size signed into the presigned URL, uploads that never arrive expire, CRM webhook sources, bounded column
// mappings, and a storage failure while creating a job leaves no job behind (503 with Retry-After).

const CONTACTS = sampleFile('contacts.csv');
const MINUTE = 60_000;

const harnesses: IngestHarness[] = [];
function harnessWith(config: Parameters<typeof createHarness>[0] = {}): IngestHarness {
  const harness = createHarness(config);
  harnesses.push(harness);
  return harness;
}
afterEach(() => {
  for (const harness of harnesses.splice(0)) harness.ports.cleanup();
});

const scheduled = SCHEDULED_EVENT;

describe('jobs in flight per tenant', () => {
  it('refuses one more job than maxJobsInFlight with 429, Retry-After and the quota, per tenant', async () => {
    const harness = harnessWith({ maxJobsInFlight: 2 });
    expect((await postCsv(harness, CONTACTS)).status).toBe(202);
    expect((await postJson(harness, { filename: 'b.csv', sizeBytes: 100 })).status).toBe(201);

    const refused = await postCsv(harness, CONTACTS);

    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('30');
    expect(refused.json.error).toEqual({
      code: 'too_many_jobs',
      message: 'this tenant has 2 jobs in progress, the most it may have (maxJobsInFlight 2); wait for one to complete or fail, then try again',
      details: { quota: 'jobs-in-flight', retryAfterSeconds: 30 },
    });
    expect(harness.publishedTypes().filter((type) => type === 'job.created.v1')).toHaveLength(2);
    // Another tenant has its own quota.
    expect((await postCsv(harness, CONTACTS, { token: GLOBEX_TOKEN })).status).toBe(202);
  });

  it('frees the place of a job once its history records its outcome', async () => {
    const harness = harnessWith({ maxJobsInFlight: 1 });
    expect((await postCsv(harness, CONTACTS)).json.jobId).toBe(FIRST_JOB_ID);
    expect((await postCsv(harness, CONTACTS)).status).toBe(429);

    await harness.history([fixture('job-planned.json'), fixture('stage-failed.json'), fixture('job-failed.json')]);

    expect((await postCsv(harness, CONTACTS)).status).toBe(202);
  });

  it('gives the place of a job erased while waiting for its upload back at once, and forgets it for the expiry', async () => {
    const harness = harnessWith({ maxJobsInFlight: 1 });
    const waiting = await postJson(harness, { filename: 'b.csv', sizeBytes: 100 });
    expect(waiting.status).toBe(201);
    expect((await postCsv(harness, CONTACTS)).status).toBe(429);

    const jobId = waiting.json.jobId as string;
    expect((await harness.http({ routeKey: 'DELETE /jobs/{id}', pathParameters: { id: jobId }, token: ACME_TOKEN })).status).toBe(202);
    const requested = harness.ports.publisher.entries.filter((entry) => entry.detailType === 'job-erasure.requested.v1');
    expect(requested).toHaveLength(1);
    const erase = harness.service.subscriptions.erasure;
    expect((await erase.handler(sqsEvent(requested.map((entry) => eventBridgeBody(entry))), testContext())).batchItemFailures).toEqual([]);

    // Without the release the place stays taken until a later admission finds the job gone (five minutes on).
    expect((await postCsv(harness, CONTACTS)).status).toBe(202);
    expect(await harness.ports.table('ingest-jobs').get({ pk: 'awaiting-upload', sk: jobId })).toBeUndefined();
  });

  it('counts a job retried with its Idempotency-Key once', async () => {
    const harness = harnessWith({ maxJobsInFlight: 1 });
    const first = await postCsv(harness, CONTACTS, { headers: { 'idempotency-key': 'k-1' } });
    const again = await postCsv(harness, CONTACTS, { headers: { 'idempotency-key': 'k-1' } });

    expect(again.status).toBe(202);
    expect(again.json.jobId).toBe(first.json.jobId);
  });

  it('admits exactly maxJobsInFlight of many requests racing for the last places', async () => {
    const harness = harnessWith({ maxJobsInFlight: 3, maxJobsPerMinute: 1000 });

    const answers = await Promise.all(Array.from({ length: 12 }, () => postJson(harness, { filename: 'race.csv', sizeBytes: 10 })));

    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(3);
    expect(statuses.filter((status) => status !== 201).every((status) => status === 429)).toBe(true);
    expect(harness.publishedTypes().filter((type) => type === 'job.created.v1')).toHaveLength(3);
  });
});

describe('jobs created per minute per tenant', () => {
  it('refuses the job over maxJobsPerMinute with 429 and the seconds left in the minute, then admits again', async () => {
    const harness = harnessWith({ maxJobsPerMinute: 2, maxJobsInFlight: 100 });
    // The test clock stands at 12:00:00.000: 15 s into the minute, 45 s are left.
    harness.ports.clock.advance(15_000);
    expect((await postCsv(harness, CONTACTS)).status).toBe(202);
    expect((await postCsv(harness, CONTACTS)).status).toBe(202);

    const refused = await postCsv(harness, CONTACTS);

    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('45');
    expect(refused.json.error.message).toBe('this tenant created 2 jobs this minute, the most it may (maxJobsPerMinute 2); try again in a minute');
    expect(refused.json.error.details.quota).toBe('jobs-per-minute');
    harness.ports.clock.advance(45_000);
    expect((await postCsv(harness, CONTACTS)).status).toBe(202);
  });

  it('does not take a place in flight for a job the minute refuses', async () => {
    const harness = harnessWith({ maxJobsPerMinute: 1, maxJobsInFlight: 2 });
    expect((await postCsv(harness, CONTACTS)).status).toBe(202);
    expect((await postCsv(harness, CONTACTS)).status).toBe(429);
    harness.ports.clock.advance(MINUTE);
    // One place was left in flight (the refused job gave its place back).
    expect((await postCsv(harness, CONTACTS)).status).toBe(202);
  });
});

describe('presigned uploads', () => {
  it('signs the size declared into the upload URL: the URL names the Content-Length to send', async () => {
    const harness = harnessWith();
    const answer = await postJson(harness, { filename: 'book.csv', sizeBytes: 1234 });

    expect(answer.status).toBe(201);
    expect(answer.json.upload.headers).toEqual({ 'content-type': 'text/csv', 'if-none-match': '*', 'content-length': '1234' });
    expect(new URL(answer.json.upload.url).searchParams.get('X-Refinery-Content-Length')).toBe('1234');
  });

  it.each([
    [{ filename: 'book.csv' }, 'sizeBytes is required: the size in bytes of the file you will upload (the upload URL takes exactly that many)'],
    [{ filename: 'book.csv', sizeBytes: 0 }, 'sizeBytes must be at least 1: the file is empty'],
    [{ filename: 'book.csv', sizeBytes: 2.5 }, 'sizeBytes must be a whole number of bytes'],
    [{ filename: 'book.csv', sizeBytes: 1001 }, 'sizeBytes must be at most 1000 (maxUploadBytes): the file is too large'],
  ])('refuses %p with 400 and creates nothing', async (body, message) => {
    const harness = harnessWith({ maxUploadBytes: 1000 });
    const answer = await postJson(harness, body);

    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe('invalid_body');
    expect(answer.json.error.message).toContain(message);
    expect(harness.ports.publisher.entries).toEqual([]);
  });

  it('fails a job whose upload has not arrived uploadExpiryMinutes after its creation, once, with the reason', async () => {
    const harness = harnessWith({ uploadExpiryMinutes: 120, uploadUrlTtlSeconds: 3600 });
    const created = await postJson(harness, { filename: 'never.csv', sizeBytes: 10 });
    expect((await postCsv(harness, CONTACTS)).status).toBe(202); // an inline job: its input is there, it never expires

    harness.ports.clock.advance(119 * MINUTE);
    await harness.service.schedules.sweep(scheduled, testContext('ingest-sweep'));
    expect(harness.ports.publisher.ofType('stage.failed.v1')).toEqual([]);

    harness.ports.clock.advance(MINUTE);
    await harness.service.schedules.sweep(scheduled, testContext('ingest-sweep'));
    await harness.service.schedules.sweep(scheduled, testContext('ingest-sweep'));

    const failures = harness.ports.publisher.ofType('stage.failed.v1');
    expect(new Set(failures.map((event) => event.metadata.eventId)).size).toBe(1);
    expect(failures[0]?.metadata.jobId).toBe(created.json.jobId);
    expect(failures[0]?.data).toMatchObject({
      service: 'ingest',
      subscription: 'sweep',
      eventType: 'job.created.v1',
      retryable: false,
      reason: expect.stringMatching(
        /^its upload never arrived: no file was uploaded within 2 hours of the job's creation \(at 2026-11-28T12:00:00\.\d{3}Z\); create a new job to try again$/,
      ),
    });
  });

  it('refuses to start with an upload expiry shorter than the upload URL lifetime', () => {
    expect(() => createHarness({ uploadExpiryMinutes: 30, uploadUrlTtlSeconds: 3600 })).toThrow(
      'invalid ingest configuration: uploadExpiryMinutes (30) must be at least the upload URL lifetime (uploadUrlTtlSeconds 3600 = 60 minutes)',
    );
  });
});

describe('column mappings', () => {
  it('refuses 150,000 columnMapping keys with 400 naming the limit, not a 500', async () => {
    const harness = harnessWith();
    const columnMapping = Object.fromEntries(Array.from({ length: 150_000 }, (_, i) => [`column ${i}`, null]));

    const answer = await postJson(harness, { filename: 'wide.csv', sizeBytes: 10, columnMapping });

    expect(answer.status).toBe(400);
    expect(answer.json.error).toEqual({
      code: 'invalid_body',
      message: 'columnMapping has 150000 entries; at most 1000 (one per column of the file) are accepted',
    });
    expect(harness.ports.publisher.entries).toEqual([]);
  });

  it('refuses a column name longer than 256 characters, here and in the preview', async () => {
    const harness = harnessWith();
    const columnMapping = { ['x'.repeat(257)]: 'email' };

    const created = await postJson(harness, { filename: 'long.csv', sizeBytes: 10, columnMapping });
    const preview = await harness.http({
      routeKey: 'POST /column-mappings/preview',
      token: ACME_TOKEN,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ head: 'email\n', complete: true, columnMapping }),
    });

    for (const answer of [created, preview]) {
      expect(answer.status).toBe(400);
      expect(answer.json.error.message).toContain('a column name is at most 256 characters');
    }
  });
});

describe('a storage failure while creating a job', () => {
  /** The objects folder replaced by a file: every write of an object fails, as on a broken disk. */
  function breakObjectStorage(harness: IngestHarness): () => void {
    const root = (harness.ports.objects as unknown as { options: { root: string } }).options.root;
    rmSync(root, { recursive: true, force: true });
    writeFileSync(root, 'not a folder');
    return () => rmSync(root, { force: true });
  }

  it('answers 503 with Retry-After, leaves no job accepted, and a retry with the same Idempotency-Key creates it', async () => {
    const harness = harnessWith({ maxJobsInFlight: 1 });
    const repair = breakObjectStorage(harness);

    const failed = await postCsv(harness, CONTACTS, { headers: { 'idempotency-key': 'book-1' } });

    expect(failed.status).toBe(503);
    expect(failed.headers['retry-after']).toBe('5');
    expect(failed.json.error.code).toBe('storage_unavailable');
    expect(failed.json.error.message).toMatch(
      /^the job could not be created: storage is unavailable at the moment \(request request-\d+\)\. Job job_TEST000001 was recorded and is failed with that reason; try again in 5 seconds/,
    );
    // The job that was recorded is failed (the merger ends it on this stage.failed.v1), not left `accepted`.
    expect(harness.ports.publisher.ofType('stage.failed.v1').map((event) => [event.metadata.jobId, event.data.reason, event.data.retryable])).toEqual(
      [[FIRST_JOB_ID, expect.stringMatching(/^its input could not be stored/), false]],
    );
    await harness.history([fixture('job-failed.json')]);
    expect((await getJob(harness, FIRST_JOB_ID)).json.status).toBe('failed');

    repair();
    const retried = await postCsv(harness, CONTACTS, { headers: { 'idempotency-key': 'book-1' } });
    expect(retried.status).toBe(202);
    expect(retried.json.jobId).not.toBe(FIRST_JOB_ID);
    expect(await harness.ports.objects.getBuffer({ bucket: 'ingest-uploads', key: `tenants/acme/jobs/${retried.json.jobId}/input.csv` })).toEqual(
      CONTACTS,
    );
  });
});

describe('CRM webhook sources per tenant', () => {
  it('refuses one more than maxWebhookSources with 409 naming the limit', async () => {
    const harness = harnessWith({ maxWebhookSources: 2 });
    const create = (name: string, token = ACME_TOKEN) =>
      harness.http({
        routeKey: 'POST /webhook-sources',
        token,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ source: name }),
      });
    expect((await create('hubspot')).status).toBe(201);
    expect((await create('salesforce')).status).toBe(201);

    const refused = await create('pipedrive');

    expect(refused.status).toBe(409);
    expect(refused.json.error).toEqual({
      code: 'too_many_webhook_sources',
      message: 'this tenant has 2 webhook sources, the most it may have (maxWebhookSources 2); delete one first (DELETE /webhook-sources/{source})',
    });
    expect((await create('pipedrive', GLOBEX_TOKEN)).status).toBe(201);
    await harness.http({ routeKey: 'DELETE /webhook-sources/{source}', token: ACME_TOKEN, pathParameters: { source: 'hubspot' } });
    expect((await create('pipedrive')).status).toBe(201);
  });
});
