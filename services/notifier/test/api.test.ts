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

  it('accepts plain http to a local host', async () => {
    const { api } = createNotifier(ports);

    for (const url of ['http://localhost:4000/hook', 'http://127.0.0.1:4000/hook', 'http://[::1]:4000/hook']) {
      expect((await api(post(ACME_TOKEN, { url }))).statusCode).toBe(201);
    }
  });

  it.each([
    ['a non-https URL to a non-local host', { url: 'http://hooks.example.com/refinery' }, 'https'],
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
