import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { buildTarGz, type FakeMailchimp, generateMembers, startFakeMailchimp } from '../src/fake-mailchimp';

// The fake Mailchimp, driven with plain HTTP (fetch): no client library, so it checks the fake and not our reading of it.

const KEY = 'aaaabbbbccccddddeeeeffff00001111-us6';
const auth = (key: string) => `Basic ${Buffer.from(`anystring:${key}`).toString('base64')}`;

async function get(fake: FakeMailchimp, path: string, key = KEY): Promise<{ status: number; body: any }> {
  const response = await fetch(`${fake.url}${path}`, { headers: { Authorization: auth(key), Accept: 'application/json' } });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function send(fake: FakeMailchimp, method: string, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: { Authorization: auth(KEY), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

describe('generateMembers', () => {
  it('makes deterministic subscribed members with MD5 ids, Mailchimp merge fields and increasing opt-in times', () => {
    const members = generateMembers(50, 3);
    expect(generateMembers(50, 3)).toEqual(members);
    expect(generateMembers(50, 4)).not.toEqual(members);
    expect(new Set(members.map((member) => member.email_address)).size).toBe(50);
    for (const member of members) {
      expect(member.id).toBe(createHash('md5').update(member.email_address.toLowerCase()).digest('hex'));
      expect(member.status).toBe('subscribed');
      expect(Object.keys(member.merge_fields).sort()).toEqual(['ADDRESS', 'BIRTHDAY', 'COMPANY', 'FNAME', 'LNAME', 'PHONE']);
      expect(member.merge_fields.BIRTHDAY).toMatch(/^(0[1-9]|1[0-2])\/(0[1-9]|[12]\d)$/);
      expect(member.timestamp_opt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    }
    expect(members[0]!.merge_fields.ADDRESS).toMatchObject({ addr1: expect.any(String), city: expect.any(String), zip: expect.any(String) });
    expect(typeof members[1]!.merge_fields.ADDRESS).toBe('string');
    const times = members.map((member) => Date.parse(member.timestamp_opt));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(times).size).toBe(50);
  });
});

describe('startFakeMailchimp: connections per key', () => {
  jest.setTimeout(20_000);
  let fake: FakeMailchimp | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  // Latencies are longer than "a page" needs so that 25 requests from this same process surely overlap, even on a
  // loaded CI machine (50 ms was enough here, but not with the CPU busy).
  it('counts requests in flight: 25 at once are all served when 100 are allowed', async () => {
    fake = await startFakeMailchimp({ latencyMs: 250, maxConnectionsPerKey: 100 });
    fake.addList('l', generateMembers(30));
    const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => get(fake!, `/3.0/lists/l/members?count=1&offset=${i}`)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(25).fill(200));
    expect(fake.maxInFlight(KEY)).toBe(25);
    expect(fake.inFlight(KEY)).toBe(0);
    expect(fake.requestCount(KEY)).toBe(25);
    expect(fake.rejectedCount(KEY)).toBe(0);
  });

  it('answers 429 with a problem detail past 10 at once, and counts each refusal', async () => {
    fake = await startFakeMailchimp({ latencyMs: 400 });
    fake.addList('l', generateMembers(30));
    const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => get(fake!, `/3.0/lists/l/members?count=1&offset=${i}`)));
    const refused = answers.filter((answer) => answer.status === 429);
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(10);
    expect(refused).toHaveLength(15);
    expect(refused[0]!.body).toMatchObject({
      type: 'https://mailchimp.com/developer/marketing/docs/errors/',
      title: 'Too Many Requests',
      status: 429,
      detail: 'You have exceeded the limit of 10 simultaneous connections.',
    });
    expect(fake.rejectedCount(KEY)).toBe(15);
    expect(fake.requestCount(KEY)).toBe(25);
    expect(fake.maxInFlight(KEY)).toBe(11); // the peak includes the request that broke the limit
    expect(fake.inFlight(KEY)).toBe(0);
    // counted per key: another key has its own 10
    expect(fake.requestCount('other-us6')).toBe(0);
  });
});

describe('startFakeMailchimp: API', () => {
  let fake: FakeMailchimp;
  beforeAll(async () => {
    fake = await startFakeMailchimp({ apiKeys: [KEY], batchDelayMs: 20, batchResultsPerFile: 2 });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('checks Basic auth against the accepted keys (401 problem detail), without counting refused keys', async () => {
    const missing = await fetch(`${fake.url}/3.0/lists/l/members`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(await missing.json()).toMatchObject({ status: 401, title: 'API Key Missing' });
    const wrong = await get(fake, '/3.0/lists/l/members', 'wrong-us6');
    expect(wrong).toMatchObject({ status: 401, body: { title: 'API Key Invalid' } });
    expect(fake.requestCount('wrong-us6')).toBe(0);
  });

  it('pages with offset and count, honours fields, and reports total_items and list_id', async () => {
    const members = generateMembers(25, 9);
    fake.addList('paged', members);
    const all = await get(fake, '/3.0/lists/paged/members?count=10&offset=20');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ total_items: 25, list_id: 'paged' });
    expect(all.body.members.map((member: { id: string }) => member.id)).toEqual(members.slice(20).map((member) => member.id));
    expect(all.body.members[0]).toEqual(members[20]);

    const fields = 'members.id,members.email_address,members.merge_fields.FNAME,total_items';
    const some = await get(fake, `/3.0/lists/paged/members?count=2&offset=0&fields=${encodeURIComponent(fields)}`);
    expect(some.body).toEqual({
      total_items: 25,
      members: members
        .slice(0, 2)
        .map((member) => ({ id: member.id, email_address: member.email_address, merge_fields: { FNAME: member.merge_fields.FNAME } })),
    });
    expect((await get(fake, '/3.0/lists/paged/members')).body.members).toHaveLength(10); // Mailchimp's default count
  });

  it('sorts, filters by status and before_timestamp_opt, and refuses count over 1000 and unknown lists', async () => {
    const members = generateMembers(6, 11);
    members[2]!.status = 'unsubscribed';
    fake.addList('sorted', members);
    const desc = await get(fake, '/3.0/lists/sorted/members?sort_field=timestamp_opt&sort_dir=DESC&fields=members.id');
    expect(desc.body.members.map((member: { id: string }) => member.id)).toEqual([...members].reverse().map((member) => member.id));
    const subscribed = await get(fake, '/3.0/lists/sorted/members?status=subscribed&fields=members.id,total_items');
    expect(subscribed.body.total_items).toBe(5);
    const before = await get(
      fake,
      `/3.0/lists/sorted/members?before_timestamp_opt=${encodeURIComponent(members[3]!.timestamp_opt)}&fields=total_items`,
    );
    expect(before.body).toEqual({ total_items: 3 });
    expect((await get(fake, '/3.0/lists/sorted/members?count=1001')).status).toBe(400);
    expect(await get(fake, '/3.0/lists/nope/members')).toMatchObject({ status: 404, body: { title: 'Resource Not Found', status: 404 } });
  });

  it('lets a test add and remove members while a client pages', async () => {
    const members = generateMembers(4, 12);
    fake.addList('moving', members.slice(0, 3));
    const first = await get(fake, '/3.0/lists/moving/members?count=2&offset=0&fields=members.id,total_items');
    fake.removeMember('moving', members[0]!.id);
    fake.addMember('moving', members[3]!);
    const second = await get(fake, '/3.0/lists/moving/members?count=2&offset=2&fields=members.id,total_items');
    expect(first.body.total_items).toBe(3);
    expect(second.body).toEqual({ total_items: 3, members: [{ id: members[3]!.id }] }); // members[2] shifted into page 1: missed
    expect(fake.members('moving').map((member) => member.id)).toEqual([members[1]!.id, members[2]!.id, members[3]!.id]);
  });

  it('runs a batch: pending, then finished with counts and a results archive (no auth) holding each operation', async () => {
    const members = generateMembers(3, 13);
    fake.addList('batch', members);
    const operations = [
      {
        method: 'PATCH',
        path: `/lists/batch/members/${members[0]!.id}`,
        body: JSON.stringify({ merge_fields: { FNAME: 'Zed' } }),
        operation_id: 'op0',
      },
      {
        method: 'PUT',
        path: `/lists/batch/members/${members[1]!.id}`,
        body: JSON.stringify({ merge_fields: { COMPANY: 'NewCo' }, tags: ['vip'] }),
        operation_id: 'op1',
      },
      {
        method: 'POST',
        path: `/lists/batch/members/${members[2]!.id}/tags`,
        body: JSON.stringify({ tags: [{ name: 'gold', status: 'active' }] }),
        operation_id: 'op2',
      },
      { method: 'PATCH', path: '/lists/batch/members/0123456789abcdef0123456789abcdef', body: '{"merge_fields":{}}', operation_id: 'op3' },
    ];
    const started = await send(fake, 'POST', '/3.0/batches', { operations });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ status: 'pending', total_operations: 4, finished_operations: 0, response_body_url: '' });

    let batch = started.body;
    for (let i = 0; i < 100 && batch.status !== 'finished'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      batch = (await get(fake, `/3.0/batches/${started.body.id}`)).body;
    }
    expect(batch).toMatchObject({ status: 'finished', total_operations: 4, finished_operations: 4, errored_operations: 1 });
    expect(batch.response_body_url).toBe(`${fake.url}/batch-results/${started.body.id}.tar.gz`);

    const download = await fetch(batch.response_body_url);
    expect(download.status).toBe(200);
    const archive = Buffer.from(await download.arrayBuffer());
    // Read back with GNU tar: the archive is a real .tar.gz (a directory and JSON files of 2 results each here).
    const names = execFileSync('tar', ['-tzf', '-'], { input: archive }).toString().trim().split('\n');
    expect(names).toEqual([`${started.body.id}/`, `${started.body.id}/0.json`, `${started.body.id}/1.json`]);
    const results = names.slice(1).flatMap((name) => JSON.parse(execFileSync('tar', ['-xzOf', '-', name], { input: archive }).toString()));
    expect(results.map((result: { operation_id: string; status_code: number }) => [result.operation_id, result.status_code])).toEqual([
      ['op0', 200],
      ['op1', 200],
      ['op2', 204],
      ['op3', 404],
    ]);
    expect(JSON.parse(results[0].response)).toMatchObject({
      id: members[0]!.id,
      merge_fields: { FNAME: 'Zed', LNAME: members[0]!.merge_fields.LNAME },
    });
    expect(results[2].response).toBe('');
    expect(JSON.parse(results[3].response)).toMatchObject({ status: 404, title: 'Resource Not Found' });

    const after = fake.members('batch');
    expect(after[0]!.merge_fields.FNAME).toBe('Zed');
    expect(after[1]!.merge_fields.COMPANY).toBe('NewCo');
    expect(after[1]!.tags?.map((tag) => tag.name)).toEqual(['vip']);
    expect(after[2]!.tags?.map((tag) => tag.name)).toEqual(['gold']);
    expect(fake.resultDownloads()).toEqual([{ batchId: started.body.id, authorization: undefined }]);
    expect(await get(fake, '/3.0/batches/unknown')).toMatchObject({ status: 404 });
  });

  it('builds .tar.gz archives GNU tar reads', () => {
    const archive = buildTarGz([
      { name: 'd', directory: true },
      { name: 'd/x.json', content: '[]' },
      { name: `${'p'.repeat(90)}/${'q'.repeat(30)}.json`, content: 'long' },
    ]);
    expect(execFileSync('tar', ['-tzf', '-'], { input: archive }).toString().trim().split('\n')).toEqual([
      'd/',
      'd/x.json',
      `${'p'.repeat(90)}/${'q'.repeat(30)}.json`,
    ]);
    expect(execFileSync('tar', ['-xzOf', '-', 'd/x.json'], { input: archive }).toString()).toBe('[]');
  });
});
