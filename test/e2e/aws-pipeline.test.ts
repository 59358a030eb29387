import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { socketEvent } from '@refinery/test-support';
import { type AwsStack, startAwsStack } from '../support/aws-stack';
import { REPO_ROOT } from '../support/cli';

// The whole pipeline with every service's Lambda entry point on the AWS adapters, against emulators (fauxqs for S3
// and SQS, dynalite for DynamoDB, our EventBridge stand-in applying the declared rules, pollers standing in for
// Lambda's event source mapping). The demo book must give exactly the local mode's golden result.

jest.setTimeout(180_000);

const TOKEN = 'token-acme-0001';
const GLOBEX_TOKEN = 'token-globex-0002';
const BOOK = readFileSync(join(REPO_ROOT, 'examples', 'contacts.csv'));
const GOLDEN = readFileSync(join(REPO_ROOT, 'test', 'golden', 'demo-result.csv'), 'utf8');

async function waitForJob(stack: AwsStack, jobId: string, timeoutMs = 120_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await stack.api({ routeKey: 'GET /jobs/{id}', pathParameters: { id: jobId }, token: TOKEN });
    const job = json as { status: string };
    if (job.status === 'completed' || job.status === 'failed') return json as Record<string, unknown>;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status}: ${JSON.stringify(json)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the pipeline on the AWS adapters', () => {
  let stack: AwsStack;
  beforeAll(async () => {
    stack = await startAwsStack({
      directoryCsvPath: join(REPO_ROOT, 'examples', 'directory.csv'),
      apiTokens: `acme:${TOKEN},globex:${GLOBEX_TOKEN}`,
    });
  });
  afterAll(() => stack.stop());

  it('enriches the demo book uploaded to a presigned S3 URL into the same result as the local mode', async () => {
    const created = await stack.api({
      routeKey: 'POST /jobs',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filename: 'contacts.csv', chunkRows: 40 }),
      token: TOKEN,
    });
    expect(created.status).toBe(201);
    const { jobId, upload } = created.json as { jobId: string; upload: { url: string; method: string; headers: Record<string, string> } };
    const put = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: BOOK });
    expect(put.status).toBe(200);

    const job = await waitForJob(stack, jobId);
    expect(job).toMatchObject({ status: 'completed', rows: { total: 250, done: 250 }, chunks: { total: 7, done: 7 }, error: null });

    const result = await stack.api({ routeKey: 'GET /jobs/{id}/result', pathParameters: { id: jobId }, token: TOKEN });
    expect(result.status).toBe(302);
    const download = await fetch(result.headers.location as string);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe(GOLDEN);

    const history = await stack.api({ routeKey: 'GET /jobs/{id}/events', pathParameters: { id: jobId }, token: TOKEN });
    const types = (history.json as { type: string }[]).map((event) => event.type);
    expect(types.filter((type) => type === 'chunk.labeled.v1')).toHaveLength(7);
    expect(types[0]).toBe('job.created.v1');
    expect(types.at(-1)).toBe('job.completed.v1');
  });

  it('takes a CSV in the request body, refuses what is not a CSV, and keeps tenants apart', async () => {
    const csv = 'First Name,Last Name,Email\nNobody,Here,nobody@example.com\n';
    const accepted = await stack.api({ routeKey: 'POST /jobs', headers: { 'content-type': 'text/csv' }, body: csv, token: TOKEN });
    expect(accepted.status).toBe(202);
    const { jobId } = accepted.json as { jobId: string };
    expect(await waitForJob(stack, jobId)).toMatchObject({ status: 'completed', rows: { total: 1, unmatched: 1 } });
    const refused = await stack.api({
      routeKey: 'POST /jobs',
      headers: { 'content-type': 'text/csv' },
      body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]),
      token: TOKEN,
    });
    expect(refused.status).toBe(415);
    expect((await stack.api({ routeKey: 'GET /jobs/{id}', pathParameters: { id: jobId } })).status).toBe(401);
  });

  it("pushes the job's progress to its tenant's WebSocket connections through the Management API, and answers a reconnecting client's sync", async () => {
    type Pushed = {
      type: string;
      job?: { jobId: string; status: string; version: number; rows: { total: number; done: number } };
      jobs?: { jobId: string; status: string }[];
    };
    const connect = (connectionId: string, token: string) =>
      stack.socket(socketEvent('CONNECT', connectionId, { headers: { authorization: `Bearer ${token}` } }));
    expect(await connect('acme-1=', TOKEN)).toMatchObject({ statusCode: 200 });
    expect(await connect('globex-1=', GLOBEX_TOKEN)).toMatchObject({ statusCode: 200 });
    expect(await connect('stranger-1=', 'not-a-token-at-all')).toMatchObject({ statusCode: 401 });
    stack.sockets.open('acme-1=');
    stack.sockets.open('globex-1=');

    const accepted = await stack.api({
      routeKey: 'POST /jobs',
      headers: { 'content-type': 'text/csv' },
      body: BOOK.toString('utf8'),
      query: { chunkRows: '25' },
      token: TOKEN,
    });
    expect(accepted.status).toBe(202);
    const { jobId } = accepted.json as { jobId: string };
    expect(await waitForJob(stack, jobId)).toMatchObject({ status: 'completed', chunks: { total: 10 } });

    // The completed state reaches the socket a moment after the job completes (ingest -> bus -> notifier's queue).
    const pushesOf = (connectionId: string) =>
      (stack.sockets.messages(connectionId) as Pushed[]).filter((m) => m.type === 'job' && m.job?.jobId === jobId);
    const deadline = Date.now() + 30_000;
    while (!pushesOf('acme-1=').some((m) => m.job?.status === 'completed') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const pushes = pushesOf('acme-1=');
    const latest = pushes.reduce((a, b) => ((b.job?.version ?? 0) > (a.job?.version ?? 0) ? b : a));
    expect(latest.job).toMatchObject({ status: 'completed', rows: { total: 250, done: 250 } });
    expect(new Set(pushes.map((m) => m.job?.version)).size).toBe(pushes.length);
    expect(stack.sockets.messages('globex-1=')).toEqual([]);

    // A client that comes back asks for the current state first and gets it at once, from notifier's table.
    expect(await connect('acme-2=', TOKEN)).toMatchObject({ statusCode: 200 });
    stack.sockets.open('acme-2=');
    await stack.socket(socketEvent('MESSAGE', 'acme-2=', { body: JSON.stringify({ action: 'sync' }) }));
    const [sync] = stack.sockets.messages('acme-2=') as Pushed[];
    expect(sync?.type).toBe('jobs');
    expect(sync?.jobs?.find((job) => job.jobId === jobId)).toMatchObject({ status: 'completed' });
    await stack.socket(socketEvent('MESSAGE', 'globex-1=', { body: JSON.stringify({ action: 'watch', jobId }) }));
    expect(stack.sockets.messages('globex-1=')).toEqual([{ type: 'error', code: 'not_found', message: `no job ${jobId}` }]);
    await stack.socket(socketEvent('DISCONNECT', 'acme-1='));
    await stack.socket(socketEvent('DISCONNECT', 'acme-2='));
    await stack.socket(socketEvent('DISCONNECT', 'globex-1='));
  });
});
