import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestPorts, sqsEvent, type TestPorts, testContext } from '@refinery/test-support';
import { Webhook } from 'standardwebhooks';
import { ACME_TOKEN, body, createNotifier, WebhookReceiver } from './helpers';

// The subscriptions' signing secrets at rest: sealed in the subscriptions table (never in clear in refinery.db), and
// still what deliveries are signed with. Subscriptions stored in clear before keep working and are sealed on first use.

let ports: TestPorts;
let receiver: WebhookReceiver;

beforeEach(async () => {
  ports = createTestPorts();
  receiver = new WebhookReceiver();
  await receiver.start();
});

afterEach(async () => {
  await receiver.stop();
  ports.cleanup();
});

function databaseBytes(): Buffer {
  ports.db.pragma('wal_checkpoint(TRUNCATE)');
  const files = readdirSync(ports.dir).filter((name) => name.startsWith('refinery.db'));
  return Buffer.concat(files.map((name) => readFileSync(join(ports.dir, name))));
}

it('stores a subscription with its secret sealed: not in refinery.db in clear, and its deliveries verify with it', async () => {
  const notifier = createNotifier(ports);
  const created = await notifier.api({ routeKey: 'POST /subscriptions', token: ACME_TOKEN, body: JSON.stringify({ url: receiver.url('/hooks') }) });
  expect(created.statusCode).toBe(201);
  const { id, secret } = created.json as { id: string; secret: string };

  const bytes = databaseBytes();
  expect(bytes.includes(Buffer.from(secret))).toBe(false);
  expect(bytes.includes(Buffer.from(secret.slice('whsec_'.length)))).toBe(false);
  const stored = await ports.table('notifier-subscriptions').get({ pk: 'tenant#acme', sk: `subscription#${id}` });
  expect(stored).toMatchObject({ sealedSecret: expect.stringMatching(/^v1\./) });
  expect(stored).not.toHaveProperty('secret');

  await notifier.jobs(sqsEvent([body('job-completed')]), testContext());
  const [request] = receiver.to('/hooks');
  expect(new Webhook(secret).verify(request!.body, request!.headers)).toMatchObject({ type: 'job.completed.v1' });
  // The API never shows it again, nor the sealed form.
  const listed = await notifier.api({ routeKey: 'GET /subscriptions', token: ACME_TOKEN });
  expect(listed.body).not.toContain(secret);
  expect(listed.body).not.toContain('sealedSecret');
});

it('signs with the secret of a subscription stored in clear before, and seals it on that first read', async () => {
  const notifier = createNotifier(ports);
  const table = ports.table('notifier-subscriptions');
  const secret = `whsec_${Buffer.alloc(24, 5).toString('base64')}`;
  const key = { pk: 'tenant#acme', sk: 'subscription#sub_LEGACY' };
  await table.put({
    ...key,
    id: 'sub_LEGACY',
    tenantId: 'acme',
    url: receiver.url('/legacy'),
    eventTypes: ['job.completed.v1'],
    description: '',
    secret,
    createdAt: '2026-01-01T00:00:00.000Z',
  });

  await notifier.jobs(sqsEvent([body('job-completed')]), testContext());

  const [request] = receiver.to('/legacy');
  expect(new Webhook(secret).verify(request!.body, request!.headers)).toMatchObject({ type: 'job.completed.v1' });
  const stored = await table.get(key);
  expect(stored).toMatchObject({ url: receiver.url('/legacy'), sealedSecret: expect.stringMatching(/^v1\./) });
  expect(stored).not.toHaveProperty('secret');
  expect(databaseBytes().includes(Buffer.from(secret.slice('whsec_'.length)))).toBe(false);
});
