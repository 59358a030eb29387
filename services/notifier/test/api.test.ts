import { ALLOW_PRIVATE_DESTINATIONS_ENV } from '@refinery/outbound';
import { createTestPorts, type TestPorts } from '@refinery/test-support';
import { ACME_TOKEN, createNotifier, GLOBEX_TOKEN } from './helpers';

let ports: TestPorts;

beforeEach(() => {
  ports = createTestPorts();
});

afterEach(() => ports.cleanup());

function post(token: string, payload: unknown) {
  return { routeKey: 'POST /subscriptions', token, headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) };
}

describe('notifier API: POST /subscriptions', () => {
  it('creates a subscription and shows its signing secret once (201)', async () => {
    const { api } = createNotifier(ports);

    const created = await api(post(ACME_TOKEN, { url: 'https://hooks.example.com/refinery', description: 'CRM sync' }));

    expect(created.statusCode).toBe(201);
    expect(created.json).toEqual({
      id: expect.stringMatching(/^sub_/),
      url: 'https://hooks.example.com/refinery',
      eventTypes: ['job.completed.v1', 'job.failed.v1'],
      description: 'CRM sync',
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+=*$/),
      createdAt: expect.any(String),
    });
    expect(created.headers).toMatchObject({ location: `/subscriptions/${created.json!.id as string}` });

    const listed = await api({ routeKey: 'GET /subscriptions', token: ACME_TOKEN });
    const [subscription] = listed.json!.subscriptions as Record<string, unknown>[];
    expect(subscription).toEqual({ ...created.json, secret: undefined });
    expect(subscription).not.toHaveProperty('secret');
    expect(JSON.stringify(listed.json)).not.toContain(created.json!.secret as string);
  });

  it('gives every subscription its own secret and keeps the chosen event types', async () => {
    const { api } = createNotifier(ports);

    const first = await api(post(ACME_TOKEN, { url: 'https://hooks.example.com/a', eventTypes: ['job.failed.v1', 'job.failed.v1'] }));
    const second = await api(post(ACME_TOKEN, { url: 'https://hooks.example.com/b' }));

    expect(first.json!.eventTypes).toEqual(['job.failed.v1']);
    expect(first.json!.secret).not.toBe(second.json!.secret);
  });

  describe('destinations (issue 14: webhook URLs must not reach internal addresses)', () => {
    const saved = process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
    beforeEach(() => {
      delete process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
    });
    afterAll(() => {
      if (saved === undefined) delete process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
      else process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = saved;
    });

    it.each([
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a cloud instance-metadata address'],
      ['https://10.0.0.1/hook', '10.0.0.1 is a private address'],
      ['https://[::ffff:169.254.169.254]/', '[::ffff:a9fe:a9fe] is a cloud instance-metadata address'],
      ['https://2130706433/', '127.0.0.1 is a loopback address'],
      ['https://0x7f.1/', '127.0.0.1 is a loopback address'],
      ['https://metadata.google.internal/computeMetadata/v1/', 'metadata.google.internal is a cloud instance-metadata host name'],
      ['https://user:pass@127.0.0.1:1/', 'the URL has credentials'],
      ['https://user:s3cr3t@hooks.example.com/', 'the URL has credentials'],
      ['https://localhost:4000/hook', 'localhost is a loopback host name'],
      ['https://[::1]:4000/hook', '[::1] is a loopback address'],
      ['https://192.168.1.20/hook', '192.168.1.20 is a private address'],
      ['https://[fd00::5]/hook', '[fd00::5] is a unique-local address'],
      ['ftp://hooks.example.com/', 'scheme ftp: is not allowed'],
    ])('answers 400 with the reason for %s, and stores nothing', async (url, reason) => {
      const { api } = createNotifier(ports, { allowHttp: true });

      const response = await api(post(ACME_TOKEN, { url }));

      expect(response.statusCode).toBe(400);
      const error = response.json!.error as { code: string; message: string };
      expect(error.code).toBe('invalid_body');
      expect(error.message).toContain(`destination refused: ${reason}`);
      expect(error.message).not.toContain('s3cr3t');
      expect((await api({ routeKey: 'GET /subscriptions', token: ACME_TOKEN })).json).toEqual({ subscriptions: [] });
    });

    it('refuses plain http on AWS, to a local host too; the local mode allows it to public hosts', async () => {
      const aws = createNotifier(ports);
      for (const url of ['http://hooks.example.com/refinery', 'http://localhost:4000/hook', 'http://127.0.0.1:4000/hook', 'http://[::1]:4000/hook']) {
        expect((await aws.api(post(ACME_TOKEN, { url }))).statusCode).toBe(400);
      }
      const local = createNotifier(ports, { allowHttp: true });
      expect((await local.api(post(ACME_TOKEN, { url: 'http://hooks.example.com/refinery' }))).statusCode).toBe(201);
      expect((await local.api(post(ACME_TOKEN, { url: 'http://127.0.0.1:4000/hook' }))).statusCode).toBe(400);
    });

    it(`accepts local receivers with ${ALLOW_PRIVATE_DESTINATIONS_ENV}=1 (tests, a developer's machine), but never credentials or metadata`, async () => {
      process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = '1';
      const { api } = createNotifier(ports);

      for (const url of ['http://localhost:4000/hook', 'http://127.0.0.1:4000/hook', 'http://[::1]:4000/hook', 'https://10.0.0.1/hook']) {
        expect((await api(post(ACME_TOKEN, { url }))).statusCode).toBe(201);
      }
      for (const url of ['http://user:pass@127.0.0.1:1/', 'http://169.254.169.254/latest/meta-data/', 'http://metadata.google.internal/']) {
        expect((await api(post(ACME_TOKEN, { url }))).statusCode).toBe(400);
      }
      // Plain http to a public host stays refused on AWS.
      expect((await api(post(ACME_TOKEN, { url: 'http://hooks.example.com/x' }))).statusCode).toBe(400);
    });
  });

  it.each([
    ['a non-https URL', { url: 'http://hooks.example.com/refinery' }, 'plain http to hooks.example.com is not allowed; use https'],
    ['a URL over 2,048 characters', { url: `https://hooks.example.com/${'x'.repeat(2048)}` }, 'url'],
    ['a URL that is not a URL', { url: 'not a url' }, 'url'],
    ['no URL', { description: 'x' }, 'url'],
    ['an unknown event type', { url: 'https://hooks.example.com/x', eventTypes: ['job.created.v1'] }, 'eventTypes'],
    ['an empty list of event types', { url: 'https://hooks.example.com/x', eventTypes: [] }, 'eventTypes'],
    ['a description over 500 characters', { url: 'https://hooks.example.com/x', description: 'x'.repeat(501) }, 'description'],
  ])('answers 400 for %s', async (_name, payload, mentioned) => {
    const { api } = createNotifier(ports);

    const response = await api(post(ACME_TOKEN, payload));

    expect(response.statusCode).toBe(400);
    const error = response.json!.error as { code: string; message: string };
    expect(error.code).toBe('invalid_body');
    expect(error.message).toContain(mentioned);
    expect((await api({ routeKey: 'GET /subscriptions', token: ACME_TOKEN })).json).toEqual({ subscriptions: [] });
  });

  it('answers 400 for a body that is not JSON', async () => {
    const { api } = createNotifier(ports);

    const response = await api({ routeKey: 'POST /subscriptions', token: ACME_TOKEN, body: '{"url": ' });

    expect(response.statusCode).toBe(400);
    expect(response.json!.error).toMatchObject({ code: 'invalid_body' });
  });

  it('answers 401 without a valid bearer token', async () => {
    const { api } = createNotifier(ports);

    expect((await api({ routeKey: 'GET /subscriptions' })).statusCode).toBe(401);
    expect((await api(post('wrong-token-0000000', { url: 'https://hooks.example.com/x' }))).statusCode).toBe(401);
  });
});

describe('notifier API: GET, DELETE, deliveries', () => {
  it("lists only the caller's subscriptions, without secrets", async () => {
    const { api } = createNotifier(ports);
    await api(post(ACME_TOKEN, { url: 'https://hooks.example.com/acme-1' }));
    await api(post(ACME_TOKEN, { url: 'https://hooks.example.com/acme-2', eventTypes: ['job.completed.v1'] }));
    await api(post(GLOBEX_TOKEN, { url: 'https://hooks.example.com/globex' }));

    const acme = await api({ routeKey: 'GET /subscriptions', token: ACME_TOKEN });

    expect(acme.statusCode).toBe(200);
    const subscriptions = acme.json!.subscriptions as Record<string, unknown>[];
    expect(subscriptions.map((s) => s.url).sort()).toEqual(['https://hooks.example.com/acme-1', 'https://hooks.example.com/acme-2']);
    for (const subscription of subscriptions) {
      expect(Object.keys(subscription).sort()).toEqual(['createdAt', 'description', 'eventTypes', 'id', 'url']);
    }
  });

  it("deletes a subscription (204); another tenant's is not found (404) and stays", async () => {
    const { api } = createNotifier(ports);
    const mine = (await api(post(ACME_TOKEN, { url: 'https://hooks.example.com/acme' }))).json!.id as string;
    const theirs = (await api(post(GLOBEX_TOKEN, { url: 'https://hooks.example.com/globex' }))).json!.id as string;

    const foreign = await api({ routeKey: 'DELETE /subscriptions/{id}', pathParameters: { id: theirs }, token: ACME_TOKEN });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json!.error).toMatchObject({ code: 'not_found' });
    const globex = await api({ routeKey: 'GET /subscriptions', token: GLOBEX_TOKEN });
    expect((globex.json!.subscriptions as { id: string }[]).map((s) => s.id)).toEqual([theirs]);

    const deleted = await api({ routeKey: 'DELETE /subscriptions/{id}', pathParameters: { id: mine }, token: ACME_TOKEN });
    expect(deleted.statusCode).toBe(204);
    expect((await api({ routeKey: 'GET /subscriptions', token: ACME_TOKEN })).json).toEqual({ subscriptions: [] });

    const again = await api({ routeKey: 'DELETE /subscriptions/{id}', pathParameters: { id: mine }, token: ACME_TOKEN });
    expect(again.statusCode).toBe(404);
  });

  it("lists a subscription's deliveries (none yet); another tenant's subscription is not found", async () => {
    const { api } = createNotifier(ports);
    const mine = (await api(post(ACME_TOKEN, { url: 'https://hooks.example.com/acme' }))).json!.id as string;

    const deliveries = await api({ routeKey: 'GET /subscriptions/{id}/deliveries', pathParameters: { id: mine }, token: ACME_TOKEN });
    expect(deliveries.statusCode).toBe(200);
    expect(deliveries.json).toEqual({ deliveries: [] });

    const foreign = await api({ routeKey: 'GET /subscriptions/{id}/deliveries', pathParameters: { id: mine }, token: GLOBEX_TOKEN });
    expect(foreign.statusCode).toBe(404);
  });
});
