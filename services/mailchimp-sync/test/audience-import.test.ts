import { parseCsvRecords } from '@refinery/csv';
import { createEvent, jobCompletedV1 } from '@refinery/events';
import { TableKeyedLimiter } from '@refinery/keyed-limiter';
import { MailchimpClient } from '@refinery/mailchimp';
import { noMetrics } from '@refinery/ports';
import { TokenRegistry } from '@refinery/runtime';
import {
  apiEvent,
  createTestPorts,
  eventBridgeBody,
  type FakeMailchimp,
  type FakeMember,
  generateMembers,
  sqsEvent,
  startFakeMailchimp,
  type TestPorts,
  testContext,
} from '@refinery/test-support';
import { DEFAULT_MAILCHIMP_SYNC_CONFIG, KeyVault, type MailchimpSyncConfig, mailchimpSyncHandlers } from '../src/service';

// Audience imports and write-backs at the handlers, on real SQLite state and a fake Mailchimp on 127.0.0.1 that answers
// with the documented request and response shapes (libs/test-support fake-mailchimp.ts): the pages delivered in any
// order and redelivered, and no state item that grows with the audience.

const TOKEN = 'acme-token-0123456789';
const API_KEY = 'f00dfeedcafe0123456789abcdef0123-us6';
const BUCKET = 'imports';

let fake: FakeMailchimp;
let ports: TestPorts;

beforeAll(async () => {
  fake = await startFakeMailchimp({ apiKeys: [API_KEY], batchDelayMs: 5 });
});
afterAll(() => fake.close());
beforeEach(() => (ports = createTestPorts()));
afterEach(() => ports.cleanup());

const STATE_TABLE = 'mailchimp-sync-state';

function service(config: Partial<MailchimpSyncConfig> = {}) {
  const table = ports.table(STATE_TABLE);
  const limiter = new TableKeyedLimiter({ table: ports.table('limits') });
  return mailchimpSyncHandlers({
    publisher: ports.publisher,
    clock: ports.clock,
    ids: ports.ids,
    logger: ports.logger,
    metrics: noMetrics,
    config: { ...DEFAULT_MAILCHIMP_SYNC_CONFIG, importsBucket: BUCKET, ...config },
    objects: ports.objects,
    table,
    keys: new KeyVault(table, Buffer.alloc(32, 1), ports.ids),
    limiter,
    mailchimp: (apiKey) => new MailchimpClient({ apiKey, gate: limiter, baseUrl: fake.url }),
    tokens: new TokenRegistry(new Map([[TOKEN, 'acme']])),
  });
}

type Service = ReturnType<typeof service>;

async function requestImport(handlers: Service, listId: string, options: Record<string, unknown> = {}): Promise<string> {
  const response = await handlers.http(
    apiEvent({
      routeKey: 'POST /integrations/mailchimp/imports',
      token: TOKEN,
      body: JSON.stringify({ listId, apiKey: API_KEY, options }),
      headers: { 'content-type': 'application/json' },
    }),
    testContext(),
  );
  expect(response.statusCode).toBe(202);
  return (JSON.parse(String(response.body)) as { jobId: string }).jobId;
}

/** The published events of one type for one job, as the job's queue would deliver them. */
const bodiesOf = (type: string, jobId: string): string[] =>
  ports.publisher.entries.filter((entry) => entry.detailType === type && entry.detail.includes(jobId)).map((entry) => eventBridgeBody(entry));

/** Plans the import, then delivers its page requests in `order` (indexes into the planned pages, repeats allowed). */
async function importPages(handlers: Service, jobId: string, order: (pages: number) => number[]): Promise<void> {
  const planned = await handlers.subscriptions.imports.handler(sqsEvent(bodiesOf('mailchimp-import.requested.v1', jobId)), testContext());
  expect(planned.batchItemFailures).toEqual([]);
  const pages = bodiesOf('mailchimp-page.requested.v1', jobId);
  for (const index of order(pages.length)) {
    const answer = await handlers.subscriptions.pages.handler(sqsEvent([pages[index] as string]), testContext());
    expect(answer.batchItemFailures).toEqual([]);
  }
}

async function audienceIds(jobId: string): Promise<string[]> {
  const csv = await ports.objects.getBuffer({ bucket: BUCKET, key: `tenants/acme/jobs/${jobId}/audience.csv` });
  const ids: string[] = [];
  for await (const [memberId = ''] of parseCsvRecords(csv, { delimiter: ',', encoding: 'utf-8', hasBom: false })) ids.push(memberId);
  // The header's first column, then one member a row.
  expect(ids.shift()).toBe('Member Id');
  return ids;
}

/** The largest item of the import's partition, in bytes of its JSON. */
async function largestImportItem(jobId: string): Promise<{ items: number; largestBytes: number }> {
  const table = ports.table(STATE_TABLE);
  let items = 0;
  let largestBytes = 0;
  let after: string | undefined;
  do {
    const page = await table.query(`import#${jobId}`, after ? { after } : {});
    for (const item of page.items) {
      items += 1;
      // Numbers count alike whatever their digits (a page count of 10 or 200): DynamoDB stores each in at most 21 bytes.
      largestBytes = Math.max(largestBytes, Buffer.byteLength(JSON.stringify(item, (_key, value) => (typeof value === 'number' ? 0 : value))));
    }
    after = page.lastKey;
  } while (after);
  return { items, largestBytes };
}

/** A shuffled order, reproducible (the same seed, the same order). */
function shuffled(count: number, seed: number): number[] {
  const order = Array.from({ length: count }, (_, index) => index);
  let state = seed;
  for (let i = order.length - 1; i > 0; i -= 1) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

describe('audience import of many pages', () => {
  it('assembles every member once, in opt-in order, with the pages done in any order and redelivered', async () => {
    const members = generateMembers(600, 21);
    fake.addList('list21', members);
    const handlers = service({ pageSize: 20, pageOverlap: 5 });
    const jobId = await requestImport(handlers, 'list21');

    // 40 pages, shuffled; every fifth page delivered again after all of them (redeliveries).
    await importPages(handlers, jobId, (pages) => {
      const order = shuffled(pages, 7);
      return [...order, ...order.filter((_, i) => i % 5 === 0)];
    });

    expect(await audienceIds(jobId)).toEqual(members.map((member) => member.id));
    const submitted = ports.publisher.ofType('job.submitted.v1');
    expect(submitted.length).toBeGreaterThanOrEqual(1);
    // However often it is assembled again (a redelivered last page), it is the same job.submitted.v1.
    expect(new Set(submitted.map((event) => event.metadata.eventId)).size).toBe(1);
    expect(submitted[0]?.data).toMatchObject({ input: { bucket: BUCKET, key: `tenants/acme/jobs/${jobId}/audience.csv` } });
  });

  it('keeps each member once when removals during paging shift members into the page before', async () => {
    const members = generateMembers(300, 22);
    fake.addList('list22', members);
    const handlers = service({ pageSize: 20, pageOverlap: 5 });
    const jobId = await requestImport(handlers, 'list22');
    const planned = await handlers.subscriptions.imports.handler(sqsEvent(bodiesOf('mailchimp-import.requested.v1', jobId)), testContext());
    expect(planned.batchItemFailures).toEqual([]);
    const pages = bodiesOf('mailchimp-page.requested.v1', jobId);
    // The later pages first; then 4 members of the first page go, and the earlier pages see the rest shifted down by 4
    // (within the overlap): the members at each page's start are read twice, once by each neighbour.
    const later = pages.slice(pages.length / 2);
    for (const page of later) await handlers.subscriptions.pages.handler(sqsEvent([page]), testContext());
    const removed = members.slice(2, 6).map((member) => member.id);
    for (const id of removed) fake.removeMember('list22', id);
    for (const page of pages.slice(0, pages.length / 2)) await handlers.subscriptions.pages.handler(sqsEvent([page]), testContext());

    const ids = await audienceIds(jobId);
    expect(ids).toEqual(members.map((member) => member.id).filter((id) => !removed.includes(id)));
  });

  it('writes no item that grows with the audience: the largest state item is the same for 10 pages and for 200', async () => {
    const sizes: Record<number, { items: number; largestBytes: number }> = {};
    for (const [pages, list] of [
      [10, 'list23'],
      [200, 'list24'],
    ] as const) {
      // pageSize 10 with overlap 2: 8 new members a page.
      const members = generateMembers(2 + 8 * pages, pages);
      fake.addList(list, members);
      const handlers = service({ pageSize: 10, pageOverlap: 2 });
      const jobId = await requestImport(handlers, list);
      await importPages(handlers, jobId, (count) => {
        expect(count).toBe(pages);
        return shuffled(count, pages);
      });
      expect(await audienceIds(jobId)).toHaveLength(members.length);
      sizes[pages] = await largestImportItem(jobId);
    }
    // One marker item a page, each the same size; nothing else grows.
    expect(sizes[200]?.items).toBe((sizes[10]?.items ?? 0) + 190);
    expect(sizes[200]?.largestBytes).toBe(sizes[10]?.largestBytes);
  }, 60_000);

  it('finishes an import accepted by the earlier version (its pages done in one string set) by that set', async () => {
    const members = generateMembers(100, 25);
    fake.addList('list25', members);
    const handlers = service({ pageSize: 20, pageOverlap: 5 });
    const jobId = await requestImport(handlers, 'list25');
    const table = ports.table(STATE_TABLE);
    // The import as the earlier version recorded it (no pageTracking), and two pages it had already counted.
    const record = await table.get({ pk: `import#${jobId}`, sk: 'import' });
    const { pageTracking: _dropped, ...earlier } = record as Record<string, unknown>;
    await table.put(earlier as never);
    await table.update({ pk: `import#${jobId}`, sk: 'pages-done' }, { addToSet: { done: ['0', '1'] } });

    // Pages 0 and 1 come again (redelivered) with the rest: counted once, by the set.
    await importPages(handlers, jobId, (pages) => Array.from({ length: pages }, (_, index) => index));

    expect(await audienceIds(jobId)).toEqual(members.map((member) => member.id));
    expect(ports.publisher.ofType('job.submitted.v1')).toHaveLength(1);
    expect((await largestImportItem(jobId)).items).toBe(2);
  });
});

describe('write-back of a large result', () => {
  const hex = (member: FakeMember): string => member.id;

  async function completeJob(handlers: Service, jobId: string, rows: string[]): Promise<void> {
    const result = { bucket: 'results', key: `tenants/acme/jobs/${jobId}/result.csv` };
    const csv = `Member Id,match_status,first_name_status,first_name_latest\n${rows.join('\n')}\n`;
    const info = await ports.objects.put(result, csv);
    const completed = createEvent(jobCompletedV1, {
      service: 'merger',
      metadata: {
        eventId: `evt_${jobId}`,
        occurredAt: ports.clock.now().toISOString(),
        tenantId: 'acme',
        jobId,
        correlationId: 'c',
        causationId: 'c',
      },
      data: {
        ...jobCompletedV1.example,
        result: { ...result, sizeBytes: info.sizeBytes, contentType: 'text/csv; charset=utf-8' },
        review: undefined,
      },
    });
    const answer = await handlers.subscriptions.writeback.handler(sqsEvent([eventBridgeBody(completed)]), testContext());
    expect(answer.batchItemFailures).toEqual([]);
  }

  it('writes in batches of at most writeBackBatchOperations, one batch in memory; a redelivery starts none again', async () => {
    const members = generateMembers(25, 26);
    fake.addList('list26', members);
    const handlers = service({ writeBackBatchOperations: 7, batchPollMs: 5 });
    const jobId = await requestImport(handlers, 'list26', { writeBack: true });
    // Even rows matched with a new first name (PATCH and tags: 2 operations), odd rows unmatched (tags: 1).
    const rows = members.map((member, i) => (i % 2 === 0 ? `${hex(member)},matched,new,Name${i}` : `${hex(member)},unmatched,,`));
    const requestsBefore = fake.requestCount(API_KEY);

    await completeJob(handlers, jobId, rows);

    const [done] = ports.publisher.ofType('mailchimp-writeback.completed.v1');
    expect(done?.data.members).toEqual({ updated: 13, failed: 0, skipped: 12 });
    const table = ports.table(STATE_TABLE);
    const batches = (await table.query(`import#${jobId}`, { beginsWith: 'writeback#batch#' })).items;
    expect(batches.length).toBeGreaterThan(1);
    const operations = batches.map((item) => fake.batch(String(item.batchId))?.operations ?? []);
    for (const batch of operations) expect(batch.length).toBeLessThanOrEqual(7);
    // Every member's operations sent once, a member's all in one batch.
    expect(operations.flat()).toHaveLength(13 * 2 + 12);
    for (const batch of operations) {
      const ids = new Set(batch.map((operation) => operation.operation_id?.split(':')[0]));
      for (const other of operations)
        if (other !== batch) for (const operation of other) expect(ids.has(operation.operation_id?.split(':')[0])).toBe(false);
    }
    // The member's first name is written back.
    expect(fake.members('list26')[0]?.merge_fields.FNAME).toBe('Name0');

    // Redelivered after the last batch was recorded but before the write-back was marked complete: no batch again.
    await table.delete({ pk: `import#${jobId}`, sk: 'writeback' });
    const requestsAfter = fake.requestCount(API_KEY);
    await completeJob(handlers, jobId, rows);
    expect(fake.requestCount(API_KEY)).toBe(requestsAfter);
    expect(requestsAfter).toBeGreaterThan(requestsBefore);
    expect(ports.publisher.ofType('mailchimp-writeback.completed.v1').map((event) => event.data.members)).toEqual([
      { updated: 13, failed: 0, skipped: 12 },
      { updated: 13, failed: 0, skipped: 12 },
    ]);
  });
});
