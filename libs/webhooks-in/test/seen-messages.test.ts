import type { Table } from '@refinery/ports';
import { createTestPorts, TestClock, type TestPorts } from '@refinery/test-support';
import { DEFAULT_RETENTION_SECONDS, SeenMessages } from '../src';

describe('SeenMessages', () => {
  let ports: TestPorts;
  let table: Table;
  let clock: TestClock;

  beforeEach(() => {
    ports = createTestPorts();
    table = ports.table('inbound');
    clock = new TestClock('2026-11-28T12:00:00.000Z', 0);
  });
  afterEach(() => ports.cleanup());

  it('says first once per id and scope, and hands repeats the record the first one stored', async () => {
    const seen = new SeenMessages(table, { clock });

    expect(await seen.firstTime('src_hubspot', 'msg_1', { jobId: 'job_1' })).toEqual({ first: true });
    expect(await seen.firstTime('src_hubspot', 'msg_1', { jobId: 'job_2' })).toEqual({ first: false, record: { jobId: 'job_1' } });
    expect(await seen.firstTime('src_hubspot', 'msg_1')).toEqual({ first: false, record: { jobId: 'job_1' } });
    // Another id, another scope: first again.
    expect(await seen.firstTime('src_hubspot', 'msg_2', { jobId: 'job_3' })).toEqual({ first: true });
    expect(await seen.firstTime('src_salesforce', 'msg_1', { jobId: 'job_4' })).toEqual({ first: true });
  });

  it('answers repeats of a message seen without a record with no record', async () => {
    const seen = new SeenMessages(table, { clock });

    expect(await seen.firstTime('mailchimp', 'key')).toEqual({ first: true });
    expect(await seen.firstTime('mailchimp', 'key', { jobId: 'job_1' })).toEqual({ first: false });
  });

  it('stores a claim under seen#<scope>, with when it was seen and expiresAt (epoch seconds) for a TTL', async () => {
    await new SeenMessages(table, { clock }).firstTime('src_hubspot', 'msg_1', { jobId: 'job_1', nested: { ok: true } });

    expect(await table.get({ pk: 'seen#src_hubspot', sk: 'msg_1' })).toEqual({
      pk: 'seen#src_hubspot',
      sk: 'msg_1',
      seenAt: '2026-11-28T12:00:00.000Z',
      expiresAt: Date.parse('2026-11-28T12:00:00.000Z') / 1000 + DEFAULT_RETENTION_SECONDS,
      record: { jobId: 'job_1', nested: { ok: true } },
    });
    expect(DEFAULT_RETENTION_SECONDS).toBe(7 * 24 * 3600);
  });

  it('takes another prefix and retention', async () => {
    await new SeenMessages(table, { clock, prefix: 'webhook#', retentionSeconds: 60 }).firstTime('s', 'm');

    expect(await table.get({ pk: 'webhook#s', sk: 'm' })).toMatchObject({ expiresAt: Date.parse('2026-11-28T12:00:00.000Z') / 1000 + 60 });
    expect(await table.get({ pk: 'seen#s', sk: 'm' })).toBeUndefined();
    expect(() => new SeenMessages(table, { retentionSeconds: 0 })).toThrow('retentionSeconds must be a whole number of seconds >= 1, got 0');
  });

  it('lets exactly one of many concurrent deliveries of one id be first, and all others see its record', async () => {
    const seen = new SeenMessages(table, { clock });

    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => seen.firstTime('src', 'msg', { jobId: `job_${i}` })));

    const firsts = results.filter((result) => result.first);
    expect(firsts).toHaveLength(1);
    const winner = results.findIndex((result) => result.first);
    for (const result of results.filter((r) => !r.first)) expect(result).toEqual({ first: false, record: { jobId: `job_${winner}` } });
  });

  it('refuses an empty scope or id, and one longer than a DynamoDB sort key may be', async () => {
    const seen = new SeenMessages(table, { clock });

    await expect(seen.firstTime('', 'msg')).rejects.toThrow('a seen-message scope must not be empty');
    await expect(seen.firstTime('src', '')).rejects.toThrow('a seen-message id must not be empty');
    await expect(seen.firstTime('src', 'x'.repeat(1025))).rejects.toThrow('a seen-message id is at most 1024 bytes');
    expect(await seen.firstTime('src', 'x'.repeat(1024))).toEqual({ first: true });
  });

  it('passes on a failure of the table other than the condition', async () => {
    const failing: Table = {
      get: (key) => table.get(key),
      put: async () => {
        throw new Error('throttled');
      },
      update: (key, update, options) => table.update(key, update, options),
      delete: (key, options) => table.delete(key, options),
      batchPut: (items) => table.batchPut(items),
      transact: (writes) => table.transact(writes),
      query: (pk, options) => table.query(pk, options),
    };

    await expect(new SeenMessages(failing, { clock }).firstTime('src', 'msg')).rejects.toThrow('throttled');
  });
});
