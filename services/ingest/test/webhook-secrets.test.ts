import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { standardWebhookSignature } from '@refinery/test-support';
import { ACME_TOKEN, createHarness, type IngestHarness } from './helpers';

// The webhook sources' signing secrets at rest: sealed in the jobs table (never in clear in refinery.db), and still
// the key their CRM signs with. Sources stored in clear before keep working and are sealed on their first use.

const NOW_SECONDS = Date.parse('2026-11-28T12:00:00.000Z') / 1000;
const CONTACT = JSON.stringify({ contact: { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' } });

let harness: IngestHarness;
beforeEach(() => {
  harness = createHarness();
});
afterEach(() => harness.ports.cleanup());

/** Every byte SQLite keeps for the data dir's database: the file and its write-ahead log. */
function databaseBytes(): Buffer {
  const files = readdirSync(harness.ports.dir).filter((name) => name.startsWith('refinery.db'));
  return Buffer.concat(files.map((name) => readFileSync(join(harness.ports.dir, name))));
}

function deliver(sourceId: string, secret: string, id = 'msg_1') {
  return harness.http({
    routeKey: 'POST /webhooks/{source}',
    pathParameters: { source: sourceId },
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(NOW_SECONDS),
      'webhook-signature': standardWebhookSignature(secret, id, NOW_SECONDS, CONTACT),
    },
    body: CONTACT,
  });
}

it('stores a new source with its secret sealed: not in refinery.db in clear, and its webhooks still verify', async () => {
  const created = await harness.http({ routeKey: 'POST /webhook-sources', token: ACME_TOKEN, body: JSON.stringify({ source: 'hubspot' }) });
  expect(created.status).toBe(201);
  const { id, secret } = created.json as { id: string; secret: string };

  harness.ports.db.pragma('wal_checkpoint(TRUNCATE)');
  const bytes = databaseBytes();
  expect(bytes.includes(Buffer.from(secret))).toBe(false);
  expect(bytes.includes(Buffer.from(secret.slice('whsec_'.length)))).toBe(false);
  const stored = await harness.ports.table('ingest-jobs').get({ pk: `webhook-source#${id}`, sk: 'source' });
  expect(stored).toMatchObject({ sealedSecret: expect.stringMatching(/^v1\./) });
  expect(stored).not.toHaveProperty('secret');

  expect((await deliver(id, secret)).status).toBe(202);
  expect((await deliver(id, `whsec_${Buffer.alloc(32, 1).toString('base64')}`, 'msg_2')).status).toBe(401);
});

it('takes webhooks for a source stored in clear before, and seals its secret on that first read', async () => {
  const table = harness.ports.table('ingest-jobs');
  const secret = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
  const key = { pk: 'webhook-source#src_LEGACY', sk: 'source' };
  await table.put({ ...key, id: 'src_LEGACY', tenantId: 'acme', name: 'legacy', secret, createdAt: '2026-01-01T00:00:00.000Z' });

  expect((await deliver('src_LEGACY', secret)).status).toBe(202);

  const stored = await table.get(key);
  expect(stored).toMatchObject({ tenantId: 'acme', name: 'legacy', sealedSecret: expect.stringMatching(/^v1\./) });
  expect(stored).not.toHaveProperty('secret');
  expect(JSON.stringify(stored)).not.toContain(secret.slice('whsec_'.length));
  expect((await deliver('src_LEGACY', secret, 'msg_2')).status).toBe(202);
});

it('refuses a sealed secret copied onto another source (the seal is bound to its source and tenant)', async () => {
  const created = await harness.http({ routeKey: 'POST /webhook-sources', token: ACME_TOKEN, body: JSON.stringify({ source: 'hubspot' }) });
  const { id, secret } = created.json as { id: string; secret: string };
  const table = harness.ports.table('ingest-jobs');
  const original = await table.get({ pk: `webhook-source#${id}`, sk: 'source' });
  await table.put({ ...original, pk: 'webhook-source#src_COPY', sk: 'source', id: 'src_COPY', tenantId: 'globex' });

  const answer = await deliver('src_COPY', secret);

  // Not a client's fault (the store was altered): a 500, logged, and nothing created.
  expect(answer.status).toBe(500);
  expect(harness.ports.publisher.entries).toEqual([]);
});
