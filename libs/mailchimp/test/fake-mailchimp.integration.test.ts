import { type FakeMailchimp, generateMembers, startFakeMailchimp } from '@refinery/test-support';
import { type MailchimpBatchOperation, MailchimpClient, subscriberHash, unlimitedGate } from '../src';
import { KeyedSemaphore } from './support';

// The client against the fake Mailchimp server (real HTTP on 127.0.0.1, no nock): paging under the connection limit,
// and a batch write-back round trip.

const KEY = 'fedcba9876543210fedcba9876543210-us6';
const LIST = 'list5000';

// Real sockets and timers: generous timeouts for a loaded 2-core CI machine.
jest.setTimeout(30_000);

let fake: FakeMailchimp;

beforeAll(async () => {
  fake = await startFakeMailchimp({ latencyMs: 15, maxConnectionsPerKey: 10, apiKeys: [KEY], batchDelayMs: 30 });
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.addList(LIST, generateMembers(5000, 7));
  fake.resetCounters();
});

async function pageThrough(client: MailchimpClient, count: number): Promise<string[]> {
  const first = await client.listMembers(LIST, { offset: 0, count, sortField: 'timestamp_opt', sortDir: 'ASC' });
  const offsets = [];
  for (let offset = count; offset < first.totalItems; offset += count) offsets.push(offset);
  // Every remaining page at once: only the gate keeps this within the limit.
  const pages = await Promise.all(offsets.map((offset) => client.listMembers(LIST, { offset, count, sortField: 'timestamp_opt', sortDir: 'ASC' })));
  return [first, ...pages].flatMap((page) => page.members.map((member) => member.id));
}

describe('MailchimpClient against the fake Mailchimp', () => {
  it('pages through 5,000 members with at most 10 requests in flight when the gate allows 10', async () => {
    const gate = new KeyedSemaphore(10);
    const client = new MailchimpClient({ apiKey: KEY, baseUrl: fake.url, gate });
    const ids = await pageThrough(client, 100);

    expect(ids).toHaveLength(5000);
    expect(new Set(ids).size).toBe(5000);
    expect(ids).toEqual(generateMembers(5000, 7).map((member) => member.id));
    expect(fake.requestCount(KEY)).toBe(50);
    expect(fake.rejectedCount(KEY)).toBe(0);
    expect(fake.maxInFlight(KEY)).toBeLessThanOrEqual(10);
    expect(fake.maxInFlight(KEY)).toBeGreaterThan(1); // the pages did overlap
    expect(gate.maxActive).toBe(10);
  });

  it('without a gate the same paging breaks the limit, and the client recovers from the 429s by retrying', async () => {
    // A slower server of its own, so that the 49 simultaneous pages surely overlap.
    const slow = await startFakeMailchimp({ latencyMs: 150, maxConnectionsPerKey: 10, apiKeys: [KEY] });
    try {
      slow.addList(LIST, generateMembers(5000, 7));
      const client = new MailchimpClient({
        apiKey: KEY,
        baseUrl: slow.url,
        gate: unlimitedGate,
        baseDelayMs: 50,
        maxDelayMs: 400,
        maxAttempts: 30,
      });
      const ids = await pageThrough(client, 100);

      expect(new Set(ids).size).toBe(5000);
      expect(slow.maxInFlight(KEY)).toBeGreaterThan(10);
      expect(slow.rejectedCount(KEY)).toBeGreaterThan(0);
      expect(slow.requestCount(KEY)).toBe(50 + slow.rejectedCount(KEY));
    } finally {
      await slow.close();
    }
  });

  it('writes merge fields and tags back with a batch and reports each operation, a 404 for an unknown member', async () => {
    const client = new MailchimpClient({ apiKey: KEY, baseUrl: fake.url, gate: new KeyedSemaphore(10) });
    const targets = fake.members(LIST).slice(0, 20);
    const newcomer = 'New.Person@Example.com';
    const operations: MailchimpBatchOperation[] = [
      ...targets.map((member) => ({
        method: 'PATCH' as const,
        path: `/lists/${LIST}/members/${member.id}`,
        body: JSON.stringify({ merge_fields: { COMPANY: `Refined ${member.id.slice(0, 4)}` }, tags: ['refined'] }),
        operation_id: `patch-${member.id}`,
      })),
      {
        method: 'PUT',
        path: `/lists/${LIST}/members/${subscriberHash(newcomer)}`,
        body: JSON.stringify({ email_address: newcomer, status_if_new: 'subscribed', merge_fields: { FNAME: 'New' } }),
        operation_id: 'put-new',
      },
      {
        method: 'PATCH',
        path: `/lists/${LIST}/members/${subscriberHash('nobody@example.com')}`,
        body: JSON.stringify({ merge_fields: { FNAME: 'Ghost' } }),
        operation_id: 'patch-missing',
      },
    ];

    const started = await client.startBatch(operations);
    expect(started).toMatchObject({ status: 'pending', total_operations: 22, response_body_url: '' });
    const finished = await client.waitForBatch(started.id, { pollMs: 10, timeoutMs: 5000 });
    expect(finished).toMatchObject({ status: 'finished', total_operations: 22, finished_operations: 22, errored_operations: 1 });

    const results = await client.batchResults(finished);
    expect(results).toHaveLength(22);
    const byId = new Map(results.map((result) => [result.operation_id, result]));
    expect(byId.get('patch-missing')).toMatchObject({ status_code: 404, response: { status: 404, title: 'Resource Not Found' } });
    expect(byId.get('put-new')).toMatchObject({ status_code: 200, response: { email_address: 'new.person@example.com' } });
    for (const member of targets) {
      expect(byId.get(`patch-${member.id}`)).toMatchObject({
        status_code: 200,
        response: { id: member.id, merge_fields: { COMPANY: `Refined ${member.id.slice(0, 4)}`, FNAME: member.merge_fields.FNAME } },
      });
    }

    const after = new Map(fake.members(LIST).map((member) => [member.id, member]));
    for (const member of targets) {
      expect(after.get(member.id)?.merge_fields).toEqual({ ...member.merge_fields, COMPANY: `Refined ${member.id.slice(0, 4)}` });
      expect(after.get(member.id)?.tags?.map((tag) => tag.name)).toEqual(['refined']);
    }
    expect(after.get(subscriberHash(newcomer))).toMatchObject({ status: 'subscribed', merge_fields: { FNAME: 'New' } });
    expect(after.size).toBe(5001);
    expect(fake.resultDownloads()).toEqual([{ batchId: started.id, authorization: undefined }]);
  });
});
