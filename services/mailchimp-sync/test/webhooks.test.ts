import { createHash } from 'node:crypto';
import { TableKeyedLimiter } from '@refinery/keyed-limiter';
import { noMetrics } from '@refinery/ports';
import { TokenRegistry } from '@refinery/runtime';
import { apiEvent, createTestPorts, type TestPorts, testContext } from '@refinery/test-support';
import { mailchimpEventKey, parseMailchimpWebhook, SeenMessages } from '@refinery/webhooks-in';
import { DEFAULT_MAILCHIMP_SYNC_CONFIG, KeyVault, mailchimpSyncHandlers } from '../src/service';

const TOKEN = 'acme-token-0123456789';
const FORM = 'application/x-www-form-urlencoded';

let ports: TestPorts;
beforeEach(() => (ports = createTestPorts()));
afterEach(() => ports.cleanup());

function api() {
  const table = ports.table('mailchimp-sync-state');
  return mailchimpSyncHandlers({
    publisher: ports.publisher,
    clock: ports.clock,
    ids: ports.ids,
    logger: ports.logger,
    metrics: noMetrics,
    config: { ...DEFAULT_MAILCHIMP_SYNC_CONFIG, importsBucket: 'imports' },
    objects: ports.objects,
    table,
    keys: new KeyVault(table, Buffer.alloc(32, 1), ports.ids),
    limiter: new TableKeyedLimiter({ table: ports.table('limits') }),
    mailchimp: () => {
      throw new Error('no Mailchimp call expected');
    },
    tokens: new TokenRegistry(new Map([[TOKEN, 'acme']])),
  }).http;
}

const subscribe = new URLSearchParams({
  type: 'subscribe',
  fired_at: '2026-11-28 12:00:00',
  'data[id]': '8a25ff1d98',
  'data[list_id]': 'list1',
  'data[email]': 'ann@example.com',
  'data[merges][FNAME]': 'Ann',
  'data[merges][LNAME]': 'Lee',
}).toString();

async function register(handler: ReturnType<typeof api>): Promise<string> {
  const response = await handler(
    apiEvent({
      routeKey: 'POST /integrations/mailchimp/webhooks',
      token: TOKEN,
      body: JSON.stringify({ listId: 'list1' }),
      headers: { 'content-type': 'application/json' },
    }),
    testContext(),
  );
  expect(response.statusCode).toBe(201);
  return (JSON.parse(String(response.body)) as { url: string }).url.split('/').pop() as string;
}

describe('Mailchimp webhooks, at the handler', () => {
  it('finishes a job whose id was claimed before a crash: the retry publishes it under the same ids', async () => {
    const handler = api();
    const secret = await register(handler);
    // A first delivery claimed a job id and died before publishing anything.
    const registrationId = String(
      (await ports.table('mailchimp-sync-state').query(`hook#${createHash('sha256').update(secret).digest('hex')}`)).items[0]?.id,
    );
    await new SeenMessages(ports.table('mailchimp-sync-state')).firstTime(
      `mailchimp:${registrationId}`,
      mailchimpEventKey(parseMailchimpWebhook(subscribe, FORM)),
      { jobId: 'job_CLAIMED' },
    );

    const retry = await handler(
      apiEvent({ routeKey: 'POST /webhooks/mailchimp/{secret}', pathParameters: { secret }, body: subscribe, headers: { 'content-type': FORM } }),
      testContext(),
    );

    expect(retry.statusCode).toBe(200);
    expect(JSON.parse(String(retry.body))).toEqual({ duplicate: true, jobId: 'job_CLAIMED' });
    expect(ports.publisher.ofType('job.created.v1').map((event) => event.metadata.jobId)).toEqual(['job_CLAIMED']);
    expect(ports.publisher.ofType('job.submitted.v1').map((event) => event.metadata.jobId)).toEqual(['job_CLAIMED']);
    const csv = (await ports.objects.getBuffer({ bucket: 'imports', key: 'tenants/acme/jobs/job_CLAIMED/contact.csv' })).toString('utf8');
    expect(csv.split('\n')[1]).toBe('8a25ff1d98,ann@example.com,Ann,Lee,,,,,,,,');
  });

  it('publishes nothing for a malformed payload or an unknown secret', async () => {
    const handler = api();
    const secret = await register(handler);
    const malformed = await handler(
      apiEvent({
        routeKey: 'POST /webhooks/mailchimp/{secret}',
        pathParameters: { secret },
        body: 'type=subscribe',
        headers: { 'content-type': FORM },
      }),
      testContext(),
    );
    expect(malformed.statusCode).toBe(400);
    const unknown = await handler(
      apiEvent({
        routeKey: 'POST /webhooks/mailchimp/{secret}',
        pathParameters: { secret: 'x'.repeat(32) },
        body: subscribe,
        headers: { 'content-type': FORM },
      }),
      testContext(),
    );
    expect(unknown.statusCode).toBe(404);
    expect(ports.publisher.entries).toEqual([]);
  });
});

describe('POST /integrations/mailchimp/imports with an Idempotency-Key', () => {
  const body = JSON.stringify({ listId: 'list1', apiKey: 'abcdef0123456789-us6' });
  const post = (handler: ReturnType<typeof api>, key: string, payload = body) =>
    handler(
      apiEvent({
        routeKey: 'POST /integrations/mailchimp/imports',
        token: TOKEN,
        body: payload,
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
      }),
      testContext(),
    );

  it('answers a repeated request with the same job, and refuses the key for a different request', async () => {
    const handler = api();
    const first = await post(handler, 'k-1');
    const again = await post(handler, 'k-1');
    expect([first.statusCode, again.statusCode]).toEqual([202, 202]);
    const jobId = (JSON.parse(String(first.body)) as { jobId: string }).jobId;
    expect((JSON.parse(String(again.body)) as { jobId: string }).jobId).toBe(jobId);
    // The repeat republishes the same events (same ids: consumers drop the copy), no second job.
    const created = ports.publisher.ofType('job.created.v1');
    expect(new Set(created.map((event) => event.metadata.jobId))).toEqual(new Set([jobId]));
    expect(new Set(created.map((event) => event.metadata.eventId)).size).toBe(1);
    const other = await post(handler, 'k-1', JSON.stringify({ listId: 'list2', apiKey: 'abcdef0123456789-us6' }));
    expect(other.statusCode).toBe(422);
  });

  it('finishes an import whose key was claimed before a crash', async () => {
    const handler = api();
    await new SeenMessages(ports.table('mailchimp-sync-state')).firstTime('import:acme', 'k-2', {
      jobId: 'job_CLAIMED',
      fingerprint: createHash('sha256').update(body).digest('hex'),
    });
    const response = await post(handler, 'k-2');
    expect(response.statusCode).toBe(202);
    expect((JSON.parse(String(response.body)) as { jobId: string }).jobId).toBe('job_CLAIMED');
    expect(ports.publisher.ofType('mailchimp-import.requested.v1').map((event) => event.metadata.jobId)).toEqual(['job_CLAIMED']);
  });
});
