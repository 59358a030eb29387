import { ALLOW_PRIVATE_DESTINATIONS_ENV } from '@refinery/outbound';
import { buildTarGz, useNock } from '@refinery/test-support';
import nock from 'nock';
import {
  MAX_PAGE_SIZE,
  MailchimpBatchTimeoutError,
  MailchimpClient,
  type MailchimpClientOptions,
  MailchimpRequestError,
  MEMBER_FIELDS,
} from '../src';
import { FakeClock, RecordingGate } from './support';

useNock(nock);

const KEY = '0123456789abcdef0123456789abcdef-us6';
const ORIGIN = 'https://us6.api.mailchimp.com';
const AUTH = `Basic ${Buffer.from(`anystring:${KEY}`).toString('base64')}`;
const MEMBERS = '/3.0/lists/list1/members';

// Problem-detail bodies as Mailchimp sends them (error glossary: type, title, status, detail, instance).
const TOO_MANY = {
  type: 'https://mailchimp.com/developer/marketing/docs/errors/',
  title: 'Too Many Requests',
  status: 429,
  detail: 'You have exceeded the limit of 10 simultaneous connections.',
  instance: 'a1',
};
const NOT_FOUND = {
  type: 'https://mailchimp.com/developer/marketing/docs/errors/',
  title: 'Resource Not Found',
  status: 404,
  detail: 'The requested resource could not be found.',
  instance: 'b2',
};
const PROBLEM_JSON = { 'Content-Type': 'application/problem+json; charset=utf-8' };

function setup(options: Partial<MailchimpClientOptions> = {}) {
  const clock = new FakeClock();
  const gate = new RecordingGate();
  const client = new MailchimpClient({ apiKey: KEY, gate, clock, random: () => 0, ...options });
  return { client, clock, gate };
}

const page = (n: number, total = n) => ({
  members: Array.from({ length: n }, (_, i) => ({
    id: `id${i}`,
    email_address: `m${i}@example.com`,
    status: 'subscribed',
    merge_fields: { FNAME: `F${i}` },
    timestamp_opt: '2024-01-01T00:00:00+00:00',
  })),
  total_items: total,
});

describe('MailchimpClient.listMembers', () => {
  it("calls the key's data centre with Basic auth (anystring:key), Accept JSON and the documented query parameters", async () => {
    const scope = nock(ORIGIN)
      .matchHeader('authorization', AUTH)
      .matchHeader('accept', 'application/json')
      .get(MEMBERS)
      .query({
        fields: 'members.id,members.email_address,members.merge_fields,members.status,members.timestamp_opt,total_items',
        count: '500',
        offset: '1000',
        sort_field: 'timestamp_opt',
        sort_dir: 'ASC',
        before_timestamp_opt: '2024-06-01T00:00:00+00:00',
        status: 'subscribed',
      })
      .reply(200, page(2, 1502));
    const { client, gate } = setup();
    const result = await client.listMembers('list1', {
      offset: 1000,
      count: 500,
      sortField: 'timestamp_opt',
      sortDir: 'ASC',
      beforeTimestampOpt: '2024-06-01T00:00:00+00:00',
      status: 'subscribed',
    });
    expect(scope.isDone()).toBe(true);
    expect(result.totalItems).toBe(1502);
    expect(result.members.map((member) => member.id)).toEqual(['id0', 'id1']);
    expect(gate.keys).toEqual([KEY]);
  });

  it('sends MEMBER_FIELDS by default, prefixes bare member fields and always asks for total_items', async () => {
    expect(MEMBER_FIELDS.join(',')).toBe('members.id,members.email_address,members.merge_fields,members.status,members.timestamp_opt,total_items');
    const scope = nock(ORIGIN)
      .get(MEMBERS)
      .query({ fields: 'members.id,members.merge_fields.FNAME,total_items', count: '10', offset: '0' })
      .reply(200, page(1));
    const { client } = setup();
    await client.listMembers('list1', { offset: 0, count: 10, fields: ['id', 'merge_fields.FNAME'] });
    expect(scope.isDone()).toBe(true);
  });

  it('uses the base URL override instead of the data centre', async () => {
    const scope = nock('https://mailchimp-proxy.example.com:8443').get(MEMBERS).query(true).reply(200, page(0));
    const { client } = setup({ baseUrl: 'https://mailchimp-proxy.example.com:8443/' });
    await expect(client.listMembers('list1', { offset: 0, count: 1 })).resolves.toEqual({ members: [], totalItems: 0 });
    expect(scope.isDone()).toBe(true);
  });

  describe(`without ${ALLOW_PRIVATE_DESTINATIONS_ENV} (as on AWS)`, () => {
    const saved = process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
    beforeEach(() => {
      delete process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
    });
    afterEach(() => {
      if (saved !== undefined) process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = saved;
    });

    it.each([
      ['http://10.0.0.1:9999/', '10.0.0.1 is a private address'],
      ['http://169.254.169.254/', '169.254.169.254 is a cloud instance-metadata address'],
      ['http://localhost:9999/', 'localhost is a loopback host name'],
      ['https://anystring:key@proxy.example.com/', 'the URL has credentials'],
    ])('refuses the base URL override %s when the client is made', (baseUrl, reason) => {
      expect(() => setup({ baseUrl })).toThrow(`Mailchimp base URL override (MAILCHIMP_BASE_URL) is refused: destination refused: ${reason}`);
    });
  });

  it.each([[MAX_PAGE_SIZE + 1], [0], [1.5]])('rejects count %p before any request', async (count) => {
    const { client, gate } = setup();
    await expect(client.listMembers('list1', { offset: 0, count })).rejects.toThrow(RangeError);
    await expect(client.listMembers('list1', { offset: -1, count: 10 })).rejects.toThrow(RangeError);
    expect(gate.keys).toEqual([]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('retries a 429 after the Retry-After it names, then returns the page', async () => {
    const scope = nock(ORIGIN)
      .get(MEMBERS)
      .query(true)
      .reply(429, TOO_MANY, { ...PROBLEM_JSON, 'Retry-After': '3' })
      .get(MEMBERS)
      .query(true)
      .reply(200, page(1));
    const { client, clock, gate } = setup();
    await expect(client.listMembers('list1', { offset: 0, count: 1 })).resolves.toMatchObject({ totalItems: 1 });
    expect(scope.isDone()).toBe(true);
    expect(clock.sleeps).toEqual([3000]);
    // one gate call per HTTP request, with the API key, and no slot held during the backoff
    expect(gate.keys).toEqual([KEY, KEY]);
    expect(gate.maxInside).toBe(1);
  });

  it('backs off exponentially with full jitter, and gives up after maxAttempts with a retryable error', async () => {
    const scope = nock(ORIGIN).get(MEMBERS).query(true).times(6).reply(503, 'Service Unavailable');
    const { client, clock, gate } = setup({ random: () => 0.5 });
    const error = await client.listMembers('list1', { offset: 0, count: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailchimpRequestError);
    expect(error).toMatchObject({ status: 503, retryable: true, attempts: 6 });
    expect(scope.isDone()).toBe(true);
    expect(clock.sleeps).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(gate.keys).toHaveLength(6);
  });

  it('caps the backoff at maxDelayMs and a long Retry-After at maxRetryAfterMs', async () => {
    nock(ORIGIN)
      .get(MEMBERS)
      .query(true)
      .times(3)
      .reply(500, '')
      .get(MEMBERS)
      .query(true)
      .reply(429, TOO_MANY, { 'Retry-After': '3600' })
      .get(MEMBERS)
      .query(true)
      .reply(200, page(0));
    const { client, clock } = setup({ random: () => 0.999, maxDelayMs: 1500, maxRetryAfterMs: 60_000 });
    await client.listMembers('list1', { offset: 0, count: 1 });
    expect(clock.sleeps).toEqual([999, 1498, 1498, 60_000]);
  });

  it('retries network errors', async () => {
    nock(ORIGIN)
      .get(MEMBERS)
      .query(true)
      .replyWithError({ code: 'ECONNRESET', message: 'socket hang up' })
      .get(MEMBERS)
      .query(true)
      .reply(200, page(1));
    const { client, clock } = setup({ random: () => 0.25 });
    await expect(client.listMembers('list1', { offset: 0, count: 1 })).resolves.toMatchObject({ totalItems: 1 });
    expect(clock.sleeps).toEqual([250]);
  });

  it('treats a 403 that says it is throttling, or that has no JSON body, as throttling', async () => {
    const scope = nock(ORIGIN)
      .get(MEMBERS)
      .query(true)
      .reply(403, { ...TOO_MANY, status: 403, title: 'Forbidden', detail: 'Too many requests, please slow down.' }, PROBLEM_JSON)
      .get(MEMBERS)
      .query(true)
      .reply(403, '<html><body>Access Denied</body></html>', { 'Content-Type': 'text/html' })
      .get(MEMBERS)
      .query(true)
      .reply(200, page(1));
    const { client, gate } = setup();
    await expect(client.listMembers('list1', { offset: 0, count: 1 })).resolves.toMatchObject({ totalItems: 1 });
    expect(scope.isDone()).toBe(true);
    expect(gate.keys).toHaveLength(3);
  });

  it('throws a 403 Forbidden problem at once, with title and detail, without the key', async () => {
    nock(ORIGIN)
      .get(MEMBERS)
      .query(true)
      .reply(
        403,
        { ...NOT_FOUND, status: 403, title: 'Forbidden', detail: `You don't have permission to access this resource (key ${KEY}).` },
        PROBLEM_JSON,
      );
    const { client, clock } = setup();
    const error = (await client.listMembers('list1', { offset: 0, count: 1 }).catch((e: unknown) => e)) as MailchimpRequestError;
    expect(error).toBeInstanceOf(MailchimpRequestError);
    expect(error).toMatchObject({ status: 403, title: 'Forbidden', retryable: false, attempts: 1 });
    expect(error.detail).toContain('[redacted]');
    expect(`${error.message} ${error.detail} ${JSON.stringify(error)}`).not.toContain(KEY);
    expect(clock.sleeps).toEqual([]);
  });

  it('throws a 404 with the documented problem detail', async () => {
    nock(ORIGIN).get('/3.0/lists/nope/members').query(true).reply(404, NOT_FOUND, PROBLEM_JSON);
    const { client } = setup();
    const error = (await client.listMembers('nope', { offset: 0, count: 1 }).catch((e: unknown) => e)) as MailchimpRequestError;
    expect(error).toBeInstanceOf(MailchimpRequestError);
    expect(error).toMatchObject({
      status: 404,
      title: 'Resource Not Found',
      detail: 'The requested resource could not be found.',
      type: 'https://mailchimp.com/developer/marketing/docs/errors/',
      instance: 'b2',
      retryable: false,
      method: 'GET',
      path: '/3.0/lists/nope/members',
    });
    expect(error.message).toBe(
      'Mailchimp GET /3.0/lists/nope/members failed: HTTP 404 (Resource Not Found: The requested resource could not be found.)',
    );
  });

  it('keeps field errors of a 400 Invalid Resource', async () => {
    nock(ORIGIN)
      .get(MEMBERS)
      .query(true)
      .reply(400, {
        ...NOT_FOUND,
        status: 400,
        title: 'Invalid Resource',
        detail: 'The resource submitted could not be validated.',
        errors: [{ field: 'sort_field', message: 'not allowed' }],
      });
    const { client } = setup();
    await expect(client.listMembers('list1', { offset: 0, count: 1 })).rejects.toMatchObject({
      status: 400,
      fieldErrors: [{ field: 'sort_field', message: 'not allowed' }],
    });
  });

  it('refuses a 200 without members or total_items', async () => {
    nock(ORIGIN).get(MEMBERS).query(true).reply(200, { members: [] });
    const { client } = setup();
    await expect(client.listMembers('list1', { offset: 0, count: 1 })).rejects.toThrow(/total_items/);
  });
});

describe('MailchimpClient batches', () => {
  const BATCH = {
    id: '123abc',
    status: 'pending',
    total_operations: 2,
    finished_operations: 0,
    errored_operations: 0,
    submitted_at: '2025-01-06T12:00:00+00:00',
    completed_at: '',
    response_body_url: '',
  };
  const ops = [
    { method: 'PATCH' as const, path: '/lists/list1/members/aaa', body: JSON.stringify({ merge_fields: { FNAME: 'Ann' } }), operation_id: 'm-aaa' },
    { method: 'PATCH' as const, path: '/lists/list1/members/bbb', body: JSON.stringify({ merge_fields: { FNAME: 'Bo' } }), operation_id: 'm-bbb' },
  ];

  it('starts a batch with POST /3.0/batches { operations }', async () => {
    const scope = nock(ORIGIN)
      .matchHeader('authorization', AUTH)
      .matchHeader('content-type', 'application/json')
      .post('/3.0/batches', { operations: ops })
      .reply(200, BATCH);
    const { client, gate } = setup();
    await expect(client.startBatch(ops)).resolves.toMatchObject({ id: '123abc', status: 'pending', total_operations: 2 });
    expect(scope.isDone()).toBe(true);
    expect(gate.keys).toEqual([KEY]);
  });

  it('checks operations before sending', async () => {
    const { client, gate } = setup();
    await expect(client.startBatch([])).rejects.toThrow(/at least one/);
    await expect(client.startBatch([{ method: 'PATCH', path: 'lists/x' }])).rejects.toThrow(/start with/);
    await expect(client.startBatch([{ method: 'HEAD' as 'GET', path: '/lists/x' }])).rejects.toThrow(/method/);
    expect(gate.keys).toEqual([]);
  });

  it('retries starting a batch on 429 but not on 500 (the batch may exist)', async () => {
    nock(ORIGIN).post('/3.0/batches').reply(429, TOO_MANY).post('/3.0/batches').reply(200, BATCH);
    const { client } = setup();
    await expect(client.startBatch(ops)).resolves.toMatchObject({ id: '123abc' });

    nock(ORIGIN)
      .post('/3.0/batches')
      .reply(500, { ...NOT_FOUND, status: 500, title: 'Internal Server Error', detail: 'oops' });
    const second = setup();
    await expect(second.client.startBatch(ops)).rejects.toMatchObject({ status: 500, attempts: 1, retryable: true });
  });

  it('polls GET /3.0/batches/{id} until finished, sleeping pollMs between polls (one gated request per poll)', async () => {
    nock(ORIGIN)
      .get('/3.0/batches/123abc')
      .reply(200, BATCH)
      .get('/3.0/batches/123abc')
      .reply(200, { ...BATCH, status: 'started', finished_operations: 1 })
      .get('/3.0/batches/123abc')
      .reply(200, {
        ...BATCH,
        status: 'finished',
        finished_operations: 2,
        errored_operations: 1,
        completed_at: '2025-01-06T12:00:02+00:00',
        response_body_url: 'https://mailchimp-api-batch.s3.amazonaws.com/123abc-response.tar.gz',
      });
    const { client, clock, gate } = setup();
    const seen: string[] = [];
    const batch = await client.waitForBatch('123abc', { pollMs: 2000, timeoutMs: 60_000, onPoll: (b) => seen.push(b.status) });
    expect(batch).toMatchObject({ status: 'finished', errored_operations: 1 });
    expect(seen).toEqual(['pending', 'started', 'finished']);
    expect(clock.sleeps).toEqual([2000, 2000]);
    expect(gate.keys).toHaveLength(3);
    expect(gate.maxInside).toBe(1);
  });

  it('gives up waiting after timeoutMs', async () => {
    nock(ORIGIN).get('/3.0/batches/123abc').times(4).reply(200, BATCH);
    const { client, clock } = setup();
    await expect(client.waitForBatch('123abc', { pollMs: 1000, timeoutMs: 2500 })).rejects.toBeInstanceOf(MailchimpBatchTimeoutError);
    expect(clock.sleeps).toEqual([1000, 1000, 500]);
  });

  it('downloads the results archive without auth and returns every operation result', async () => {
    // The documented format: a gzipped tar of JSON files, each an array of { status_code, operation_id, response }
    // with `response` the operation's answer body as a JSON string.
    const archive = buildTarGz([
      { name: '123abc', directory: true },
      {
        name: '123abc/0.json',
        content: JSON.stringify([
          { status_code: 200, operation_id: 'm-aaa', response: JSON.stringify({ id: 'aaa', merge_fields: { FNAME: 'Ann' } }) },
        ]),
      },
      {
        name: '123abc/1.json',
        content: JSON.stringify([
          { status_code: 404, operation_id: 'm-bbb', response: JSON.stringify(NOT_FOUND) },
          { status_code: 204, operation_id: 'tags-aaa', response: '' },
        ]),
      },
    ]);
    const s3 = nock('https://mailchimp-api-batch.s3.amazonaws.com', { badheaders: ['authorization'] })
      .get('/123abc-response.tar.gz')
      .reply(200, archive, { 'Content-Type': 'application/x-gzip' });
    const { client, gate } = setup();
    const results = await client.batchResults({
      id: '123abc',
      status: 'finished',
      response_body_url: 'https://mailchimp-api-batch.s3.amazonaws.com/123abc-response.tar.gz',
    });
    expect(s3.isDone()).toBe(true);
    expect(results).toEqual([
      { operation_id: 'm-aaa', status_code: 200, response: { id: 'aaa', merge_fields: { FNAME: 'Ann' } } },
      { operation_id: 'm-bbb', status_code: 404, response: NOT_FOUND },
      { operation_id: 'tags-aaa', status_code: 204, response: null },
    ]);
    expect(gate.keys).toEqual([]); // storage download: not one of the key's API connections
  });

  it('refuses, at once and without retrying, a results URL that is not public (it comes from the answer, not from us)', async () => {
    const { client, clock } = setup();
    const refused = client.batchResults({ id: 'b', status: 'finished', response_body_url: 'http://169.254.169.254/latest/meta-data/iam/' });
    await expect(refused).rejects.toBeInstanceOf(MailchimpRequestError);
    await expect(refused).rejects.toMatchObject({
      retryable: false,
      attempts: 1,
      title: 'Destination refused',
      detail: expect.stringContaining('169.254.169.254 is a cloud instance-metadata address'),
    });
    expect(clock.sleeps).toEqual([]);
  });

  it('retries a failed results download and refuses an unfinished batch', async () => {
    const archive = buildTarGz([{ name: 'r.json', content: '[{"status_code":200,"operation_id":"x","response":"{}"}]' }]);
    nock('https://storage.test').get('/r.tar.gz').reply(503, 'slow down').get('/r.tar.gz').reply(200, archive);
    const { client, clock } = setup({ random: () => 0.5 });
    await expect(client.batchResults({ id: 'b', status: 'finished', response_body_url: 'https://storage.test/r.tar.gz' })).resolves.toEqual([
      { operation_id: 'x', status_code: 200, response: {} },
    ]);
    expect(clock.sleeps).toEqual([500]);
    await expect(client.batchResults({ id: 'b', status: 'started', response_body_url: '' })).rejects.toThrow(/no results yet/);
  });
});
