import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoTable } from '@refinery/aws-adapters';
import { WebhookSources } from '@refinery/ingest/src/domain/webhook-sources';
import { newSigningSecret, SubscriptionStore } from '@refinery/notifier/src/domain/subscriptions';
import { systemClock, ulidIds } from '@refinery/ports';
import { SecretSealer } from '@refinery/runtime';
import { type AwsEmulators, startAwsEmulators } from '@refinery/test-support';

// The AWS mode's side of secrets at rest: webhook sources' and subscriptions' signing secrets as DynamoDB items
// (dynalite), sealed with the key-encryption key, never in clear in an item; items stored in clear before still read,
// and are sealed on that read.

let emulators: AwsEmulators;
let dynamo: DynamoDBClient;
const secrets = new SecretSealer(Buffer.alloc(32, 4));

beforeAll(async () => {
  emulators = await startAwsEmulators();
  dynamo = new DynamoDBClient(emulators.clientConfig('dynamodb'));
  await emulators.createTable('ingest-jobs');
  await emulators.createTable('notifier-subscriptions');
}, 60_000);

afterAll(async () => {
  dynamo.destroy();
  await emulators.stop();
});

/** Every item of the table as DynamoDB returns it, as text. */
async function rawItems(tableName: string): Promise<string> {
  const page = await dynamo.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return JSON.stringify(page.Items ?? []);
}

it("keeps a webhook source's secret sealed in its DynamoDB item, and reads it back", async () => {
  const sources = new WebhookSources(new DynamoTable({ client: dynamo, tableName: 'ingest-jobs' }), { ids: ulidIds, clock: systemClock, secrets });

  const source = await sources.create('acme', 'hubspot');

  const items = await rawItems('ingest-jobs');
  expect(items).toContain('sealedSecret');
  expect(items).not.toContain(source.secret.slice('whsec_'.length));
  expect((await sources.get(source.id))?.secret).toBe(source.secret);
});

it('keeps a subscription secret sealed in its DynamoDB item; one stored in clear before is read and sealed', async () => {
  const table = new DynamoTable({ client: dynamo, tableName: 'notifier-subscriptions' });
  const store = new SubscriptionStore(table, secrets);
  const subscription = {
    id: 'sub_NEW',
    tenantId: 'acme',
    url: 'https://hooks.example.com/a',
    eventTypes: ['job.completed.v1'] as const,
    description: '',
    secret: newSigningSecret(),
    createdAt: '2026-01-01T00:00:00.000Z',
  };
  const legacySecret = newSigningSecret();
  await store.create(subscription);
  await table.put({ pk: 'tenant#acme', sk: 'subscription#sub_OLD', ...subscription, id: 'sub_OLD', secret: legacySecret });

  const listed = await store.list('acme');

  expect(Object.fromEntries(listed.map((s) => [s.id, s.secret]))).toEqual({ sub_NEW: subscription.secret, sub_OLD: legacySecret });
  const items = await rawItems('notifier-subscriptions');
  expect(items).not.toContain(subscription.secret.slice('whsec_'.length));
  expect(items).not.toContain(legacySecret.slice('whsec_'.length));
  expect(items.match(/sealedSecret/g)).toHaveLength(2);
});
