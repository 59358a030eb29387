import { standardWebhookSignature } from '@refinery/test-support';
import { ACME_TOKEN, type ApiAnswer, createHarness, GLOBEX_TOKEN, getJob, type IngestHarness, postContact, UPLOADS_BUCKET } from './helpers';

const ADA = { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com', phone: '+44 20 7946 0001' };
/** The harness's clock starts here (TestClock). */
const NOW_SECONDS = Date.parse('2026-11-28T12:00:00.000Z') / 1000;

const sign = standardWebhookSignature;

interface Source {
  readonly source: string;
  readonly id: string;
  readonly url: string;
  readonly secret: string;
  readonly createdAt: string;
}

async function register(harness: IngestHarness, name: string, token = ACME_TOKEN): Promise<ApiAnswer> {
  return harness.http({
    routeKey: 'POST /webhook-sources',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ source: name }),
  });
}

async function registered(harness: IngestHarness, name = 'hubspot', token = ACME_TOKEN): Promise<Source> {
  const answer = await register(harness, name, token);
  if (answer.status !== 201) throw new Error(`registering ${name}: ${answer.status} ${answer.body}`);
  return answer.json as Source;
}

interface Delivery {
  readonly id?: string;
  readonly timestamp?: number;
  readonly body?: unknown;
  readonly secret?: string;
  readonly headers?: Record<string, string>;
}

/** A webhook to the source's URL as its CRM sends it: no bearer token, signed with the source's secret. */
function deliver(harness: IngestHarness, source: Source, delivery: Delivery = {}): Promise<ApiAnswer> {
  const id = delivery.id ?? 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const timestamp = delivery.timestamp ?? NOW_SECONDS;
  const body = typeof delivery.body === 'string' ? delivery.body : JSON.stringify(delivery.body ?? { contact: ADA });
  return harness.http({
    routeKey: 'POST /webhooks/{source}',
    pathParameters: { source: source.id },
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': sign(delivery.secret ?? source.secret, id, timestamp, body),
      ...delivery.headers,
    },
    body,
  });
}

describe('webhook sources', () => {
  let harness: IngestHarness;

  beforeEach(() => {
    harness = createHarness();
  });
  afterEach(() => harness.ports.cleanup());

  it('registers a source: 201 with its URL and its secret, shown this once', async () => {
    const answer = await register(harness, 'hubspot');

    expect(answer.status).toBe(201);
    expect(answer.json).toEqual({
      source: 'hubspot',
      id: 'src_TEST000001',
      url: '/webhooks/src_TEST000001',
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      createdAt: '2026-11-28T12:00:00.000Z',
    });
    expect(answer.headers).toMatchObject({ location: '/webhook-sources/hubspot', 'cache-control': 'no-store' });
  });

  it('lists the tenant its own sources, without their secrets', async () => {
    const hubspot = await registered(harness, 'hubspot');
    const salesforce = await registered(harness, 'salesforce-eu');
    await registered(harness, 'pipedrive', GLOBEX_TOKEN);

    const answer = await harness.http({ routeKey: 'GET /webhook-sources', token: ACME_TOKEN });

    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      sources: [
        { source: 'hubspot', id: hubspot.id, url: hubspot.url, createdAt: expect.any(String) },
        { source: 'salesforce-eu', id: salesforce.id, url: salesforce.url, createdAt: expect.any(String) },
      ],
    });
    expect(answer.body).not.toContain('whsec_');
  });

  it('refuses a name the tenant has already (409), but another tenant may have it too', async () => {
    const first = await registered(harness, 'hubspot');

    const again = await register(harness, 'hubspot');
    expect(again.status).toBe(409);
    expect(again.json.error).toEqual({
      code: 'source_exists',
      message: 'there is already a webhook source named hubspot; delete it first (DELETE /webhook-sources/hubspot) to get a new URL and secret',
    });

    const globex = await registered(harness, 'hubspot', GLOBEX_TOKEN);
    expect(globex.id).not.toBe(first.id);
    expect((await harness.http({ routeKey: 'GET /webhook-sources', token: ACME_TOKEN })).json.sources).toHaveLength(1);
  });

  it.each([['HubSpot'], ['hub spot'], ['-hubspot'], ['hubspot-'], ['src_1'], [''], ['x'.repeat(65)]])('refuses the name %p: 400', async (name) => {
    const answer = await register(harness, name);

    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe('invalid_body');
    expect(answer.json.error.message).toContain('a lowercase slug: letters, digits and hyphens, 1 to 64 characters');
  });

  it('refuses a body with other keys, or none', async () => {
    for (const body of [JSON.stringify({ source: 'hubspot', secret: 'mine' }), '']) {
      const answer = await harness.http({
        routeKey: 'POST /webhook-sources',
        token: ACME_TOKEN,
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(answer.status).toBe(400);
    }
  });

  it('deletes a source: its webhooks are refused from then on, and the name is free again', async () => {
    const source = await registered(harness, 'hubspot');

    const deleted = await harness.http({ routeKey: 'DELETE /webhook-sources/{source}', pathParameters: { source: 'hubspot' }, token: ACME_TOKEN });

    expect(deleted.status).toBe(204);
    expect((await harness.http({ routeKey: 'GET /webhook-sources', token: ACME_TOKEN })).json).toEqual({ sources: [] });
    expect((await deliver(harness, source)).status).toBe(404);
    expect(harness.ports.publisher.entries).toEqual([]);
    const renewed = await registered(harness, 'hubspot');
    expect(renewed.id).not.toBe(source.id);
    expect(renewed.secret).not.toBe(source.secret);
  });

  it("answers 404 for a source the tenant does not have, another tenant's included", async () => {
    await registered(harness, 'hubspot');

    for (const [name, token] of [
      ['hubspot', GLOBEX_TOKEN],
      ['salesforce', ACME_TOKEN],
      ['Not A Slug', ACME_TOKEN],
    ] as const) {
      const answer = await harness.http({ routeKey: 'DELETE /webhook-sources/{source}', pathParameters: { source: name }, token });
      expect(answer.status).toBe(404);
      expect(answer.json.error).toEqual({ code: 'not_found', message: `no webhook source ${name}` });
    }
    expect((await harness.http({ routeKey: 'GET /webhook-sources', token: ACME_TOKEN })).json.sources).toHaveLength(1);
  });

  it('needs the bearer token for managing sources', async () => {
    for (const routeKey of ['POST /webhook-sources', 'GET /webhook-sources', 'DELETE /webhook-sources/{source}']) {
      const answer = await harness.http({ routeKey, pathParameters: { source: 'hubspot' }, body: JSON.stringify({ source: 'hubspot' }) });
      expect(answer.status).toBe(401);
    }
  });
});

describe('POST /webhooks/{source}', () => {
  let harness: IngestHarness;
  let source: Source;

  beforeEach(async () => {
    harness = createHarness();
    source = await registered(harness, 'hubspot');
  });
  afterEach(() => harness.ports.cleanup());

  /** Nothing was created: no event published, no job input stored. */
  async function expectNothingCreated(): Promise<void> {
    expect(harness.ports.publisher.entries).toEqual([]);
    expect(await harness.ports.objects.head({ bucket: UPLOADS_BUCKET, key: 'tenants/acme/jobs/job_TEST000002/input.csv' })).toBeUndefined();
  }

  it("answers 202 { jobId } without a bearer token, having made the contact a one-row job of the source's tenant", async () => {
    const answer = await deliver(harness, source);

    expect(answer.status).toBe(202);
    expect(answer.json).toEqual({ jobId: 'job_TEST000002' });
    // The same job POST /contacts/match makes: the one-row contact.csv, created and submitted at once.
    expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);
    const created = harness.ports.publisher.ofType('job.created.v1')[0];
    expect(created?.metadata).toMatchObject({ tenantId: 'acme', jobId: 'job_TEST000002' });
    expect(created?.data).toEqual({
      filename: 'contact.csv',
      upload: 'body',
      input: { bucket: UPLOADS_BUCKET, key: 'tenants/acme/jobs/job_TEST000002/input.csv' },
      options: {},
    });
    const input = await harness.ports.objects.getBuffer({ bucket: UPLOADS_BUCKET, key: 'tenants/acme/jobs/job_TEST000002/input.csv' });
    expect(input.toString('utf8')).toBe(
      'first_name,last_name,email,phone,company,title,street,city,state,postcode,country,birth_date,full_name\n' +
        'Ada,Lovelace,ada@example.com,+44 20 7946 0001,,,,,,,,,\n',
    );
    // The tenant reads it with its token; no one else can.
    expect((await getJob(harness, 'job_TEST000002')).json).toMatchObject({ jobId: 'job_TEST000002', status: 'accepted', filename: 'contact.csv' });
    expect((await getJob(harness, 'job_TEST000002', '', GLOBEX_TOKEN)).status).toBe(404);
  });

  it('makes the same input as POST /contacts/match for the same contact', async () => {
    await deliver(harness, source, { body: { contact: { name: 'Ada Lovelace', email: 'ada@example.com' } } });
    await postContact(harness, { contact: { name: 'Ada Lovelace', email: 'ada@example.com' } }, { query: { deadlineMs: '0' } });

    const [webhookJob, matchJob] = harness.ports.publisher.ofType('job.created.v1').map((event) => event.data.input);
    expect(await harness.ports.objects.getBuffer(webhookJob!)).toEqual(await harness.ports.objects.getBuffer(matchJob!));
  });

  it("acts for the source's tenant whatever token comes along", async () => {
    const answer = await deliver(harness, source, { headers: { authorization: `Bearer ${GLOBEX_TOKEN}` } });

    expect(answer.status).toBe(202);
    expect(harness.ports.publisher.ofType('job.created.v1')[0]?.metadata.tenantId).toBe('acme');
  });

  describe('a webhook-id seen before', () => {
    it('answers 200 with the same job and creates nothing: a retry (new timestamp) or a replay (same one)', async () => {
      const first = await deliver(harness, source);

      const replay = await deliver(harness, source);
      const retry = await deliver(harness, source, { timestamp: NOW_SECONDS + 60 });

      for (const again of [replay, retry]) {
        expect(again.status).toBe(200);
        expect(again.json).toEqual({ jobId: first.json.jobId, duplicate: true });
      }
      expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);
    });

    it('is a new message for another source', async () => {
      const other = await registered(harness, 'salesforce');
      const first = await deliver(harness, source);

      const answer = await deliver(harness, other);

      expect(answer.status).toBe(202);
      expect(answer.json.jobId).not.toBe(first.json.jobId);
    });

    it('answers 422 webhook_id_reused when it comes with another contact', async () => {
      const first = await deliver(harness, source);

      const reused = await deliver(harness, source, { body: { contact: { ...ADA, email: 'ada@lovelace.dev' } } });

      expect(reused.status).toBe(422);
      expect(reused.json.error).toEqual({
        code: 'webhook_id_reused',
        message: 'this webhook-id came before with a different contact; every message needs its own id',
        details: { jobId: first.json.jobId },
      });
      expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);
    });

    it('finishes the job when the first delivery failed after claiming the id, and makes it once', async () => {
      harness.ports.publisher.failWith = new Error('the bus is down');
      // 503 with Retry-After: the sender retries (nothing of the job was recorded, so the retry creates it).
      const failed = await deliver(harness, source);
      expect(failed.status).toBe(503);
      expect(failed.headers['retry-after']).toBe('5');
      harness.ports.publisher.failWith = undefined;

      const retry = await deliver(harness, source, { timestamp: NOW_SECONDS + 30 });
      const again = await deliver(harness, source, { timestamp: NOW_SECONDS + 60 });

      expect(retry.status).toBe(200);
      expect(again.json.jobId).toBe(retry.json.jobId);
      expect(harness.publishedTypes()).toEqual(['job.created.v1', 'job.submitted.v1']);
      expect((await getJob(harness, retry.json.jobId)).json.status).toBe('accepted');
    });
  });

  describe('refusals (nothing is created)', () => {
    async function expectRefused(answer: ApiAnswer, status: number, error: { code: string; message: string | RegExp; details?: unknown }) {
      expect(answer.status).toBe(status);
      expect(answer.json.error).toEqual({
        ...error,
        message: typeof error.message === 'string' ? error.message : expect.stringMatching(error.message),
      });
      await expectNothingCreated();
    }

    it('401 for a bad signature: the body changed, or signed with another secret', async () => {
      const other = await registered(harness, 'salesforce');
      const body = JSON.stringify({ contact: ADA });
      const signature = sign(source.secret, 'msg_1', NOW_SECONDS, body);
      const tampered = await harness.http({
        routeKey: 'POST /webhooks/{source}',
        pathParameters: { source: source.id },
        headers: {
          'content-type': 'application/json',
          'webhook-id': 'msg_1',
          'webhook-timestamp': String(NOW_SECONDS),
          'webhook-signature': signature,
        },
        body: body.replace('Ada', 'Eve'),
      });

      await expectRefused(tampered, 401, {
        code: 'invalid_signature',
        message: /^the webhook is not verified: no v1 signature in webhook-signature matches/,
        details: { reason: 'no_valid_signature' },
      });
      await expectRefused(await deliver(harness, source, { secret: other.secret }), 401, {
        code: 'invalid_signature',
        message: /no v1 signature/,
        details: { reason: 'no_valid_signature' },
      });
    });

    it('401 for a timestamp too old (a replay past the tolerance) or too new', async () => {
      await expectRefused(await deliver(harness, source, { timestamp: NOW_SECONDS - 301 }), 401, {
        code: 'invalid_signature',
        message: `the webhook is not verified: webhook-timestamp ${NOW_SECONDS - 301} is 301 s old; at most 300 s is accepted (a replay, or a sender's clock far off)`,
        details: { reason: 'timestamp_too_old' },
      });
      await expectRefused(await deliver(harness, source, { timestamp: NOW_SECONDS + 3600 }), 401, {
        code: 'invalid_signature',
        message: /is 3600 s in the future/,
        details: { reason: 'timestamp_too_new' },
      });
    });

    it('401 without the signature headers', async () => {
      const answer = await harness.http({
        routeKey: 'POST /webhooks/{source}',
        pathParameters: { source: source.id },
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ contact: ADA }),
      });

      await expectRefused(answer, 401, {
        code: 'invalid_signature',
        message: 'the webhook is not verified: missing webhook-id, webhook-timestamp, webhook-signature headers (Standard Webhooks)',
        details: { reason: 'missing_header' },
      });
    });

    it('404 for a source that does not exist, before anything else', async () => {
      for (const id of ['src_NOSUCHSOURCE', 'hubspot', 'src_-']) {
        const answer = await deliver(harness, { ...source, id });
        expect(answer.status).toBe(404);
        expect(answer.json.error).toEqual({ code: 'not_found', message: `no webhook source ${id}` });
      }
      await expectNothingCreated();
    });

    it('400 for a malformed body, and the id stays unused', async () => {
      await expectRefused(await deliver(harness, source, { body: '{"contact": ' }), 400, {
        code: 'invalid_body',
        message: /^the request body is not valid JSON: /,
      });
      await expectRefused(await deliver(harness, source, { body: { contact: {} } }), 400, {
        code: 'invalid_body',
        message: /the contact has no values/,
      });
      await expectRefused(await deliver(harness, source, { body: { contact: { ...ADA, shoe_size: '9' } } }), 400, {
        code: 'invalid_body',
        message: /shoe_size/,
      });
      await expectRefused(await deliver(harness, source, { body: { person: ADA } }), 400, { code: 'invalid_body', message: /contact/ });

      // Nothing remembered the id: the corrected message is taken.
      expect((await deliver(harness, source)).status).toBe(202);
    });

    it('415 for a body that is not sent as JSON', async () => {
      await expectRefused(await deliver(harness, source, { headers: { 'content-type': 'text/csv' } }), 415, {
        code: 'unsupported_media_type',
        message: 'Content-Type text/csv is not accepted: send {"contact": {...}} as application/json',
      });
    });

    it('400 for a webhook-id longer than 255 characters', async () => {
      await expectRefused(await deliver(harness, source, { id: 'm'.repeat(256) }), 400, {
        code: 'invalid_webhook_id',
        message: 'webhook-id must be at most 255 characters',
      });
    });
  });
});
