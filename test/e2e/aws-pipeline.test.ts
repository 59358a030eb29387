import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListBucketsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ApiClient } from '@refinery/cli';
import { emulate, type RefineryEmulator } from '@refinery/cli/src/emulate';
import WebSocket from 'ws';
import { REPO_ROOT } from '../support/cli';
import { BOUND_MS, isolationScenario, startReceivers } from '../support/webhook-isolation';

// The whole pipeline as deployed: every packaged stack in moto's CloudFormation, every function run from its packaged
// bundle with Lambda's semantics (refinery emulate), EventBridge rules delivering to the stacks' queues, S3 sending
// its Object Created events, the HTTP and WebSocket APIs the templates declare. The demo book must give exactly the
// local mode's golden result.

jest.setTimeout(180_000);

const ACME = 'token-acme-0001';
const GLOBEX = 'token-globex-0002';
const BOOK = readFileSync(join(REPO_ROOT, 'examples', 'contacts.csv'));
const GOLDEN = readFileSync(join(REPO_ROOT, 'test', 'golden', 'demo-result.csv'), 'utf8');

type JobView = { jobId: string; status: string; version: number; rows: { total: number; done: number }; chunks: { total: number; done: number } };
type Pushed = { type: string; job?: JobView; jobs?: JobView[]; code?: string; message?: string };

async function waitForJob(client: ApiClient, jobId: string, timeoutMs = 120_000): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await client.job(jobId)) as unknown as JobView;
    if (job.status === 'completed' || job.status === 'failed') return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status}: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A WebSocket client of the emulated API: its frames, parsed, as they come. */
class SocketClient {
  readonly messages: Pushed[] = [];
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.messages.push(JSON.parse(String(data)) as Pushed));
  }

  static async open(url: string, token: string): Promise<SocketClient> {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/socket`, { headers: { authorization: `Bearer ${token}` } });
    const client = new SocketClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
      socket.once('error', reject);
    });
    return client;
  }

  async until(condition: (messages: readonly Pushed[]) => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition(this.messages)) {
      if (Date.now() > deadline) throw new Error(`no such message in ${JSON.stringify(this.messages)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

describe('the pipeline as deployed (packaged stacks and bundles on moto)', () => {
  let emulator: RefineryEmulator;
  let acme: ApiClient;
  let globex: ApiClient;
  let demoJobId: string;

  beforeAll(async () => {
    emulator = await emulate({
      repoRoot: REPO_ROOT,
      port: 0,
      awsPort: 0,
      directory: join(REPO_ROOT, 'examples', 'directory.csv'),
      apiTokens: `acme:${ACME},globex:${GLOBEX}`,
    });
    acme = new ApiClient(emulator.url, ACME);
    globex = new ApiClient(emulator.url, GLOBEX);
  });
  afterAll(() => emulator?.stop());

  it('enriches the demo book uploaded to a presigned S3 URL into the same result as the local mode', async () => {
    const created = await acme.createUploadJob({ filename: 'contacts.csv', sizeBytes: BOOK.length, chunkRows: 40 });
    const { upload } = created;
    if (!upload) throw new Error('no upload URL');
    expect(new URL(upload.url).origin).toBe(emulator.aws.endpoint);
    const put = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: BOOK });
    expect(put.status).toBe(200);

    const job = await waitForJob(acme, created.jobId);
    expect(job).toMatchObject({ status: 'completed', rows: { total: 250, done: 250 }, chunks: { total: 7, done: 7 }, error: null });
    demoJobId = created.jobId;

    const result = await acme.request('GET', `/jobs/${created.jobId}/result`, undefined, {}, 'manual');
    expect(result.status).toBe(302);
    const download = await fetch(result.headers.get('location') as string);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe(GOLDEN);

    const types = (await acme.events(created.jobId)).map((event) => event.type);
    expect(types.filter((type) => type === 'chunk.labeled.v1')).toHaveLength(7);
    expect(types[0]).toBe('job.created.v1');
    expect(types.at(-1)).toBe('job.completed.v1');
  });

  it("reviews the demo's uncertain row: the decision goes through the bus to the merger, which writes version 1 of the result", async () => {
    const queue = (await (await acme.request('GET', `/jobs/${demoJobId}/review`)).json()) as { items: { row: number; candidateId: string }[] };
    const golden = GOLDEN.split('\n');
    // The golden result's rows in review are the queue (its line i + 1 is row i).
    expect(queue.items.map((item) => item.row)).toEqual(golden.flatMap((line, index) => (index > 0 && line.includes(',review,') ? [index - 1] : [])));
    const [item] = queue.items;
    if (!item) throw new Error('the demo book has no row in review');
    const decided = await acme.request('POST', `/jobs/${demoJobId}/review/${item.row}`, '{"decision":"accept"}', {
      'content-type': 'application/json',
    });
    expect(decided.status).toBe(202);
    const deadline = Date.now() + 60_000;
    let version = 0;
    while (version < 1) {
      if (Date.now() > deadline) throw new Error('result version 1 never appeared');
      await new Promise((resolve) => setTimeout(resolve, 200));
      version = (
        (await (await acme.request('GET', `/jobs/${demoJobId}/result`, undefined, { accept: 'application/json' })).json()) as { version: number }
      ).version;
    }
    const revised = (
      await (
        await fetch((await acme.request('GET', `/jobs/${demoJobId}/result?version=1`, undefined, {}, 'manual')).headers.get('location') as string)
      ).text()
    ).split('\n');
    revised.forEach((line, index) => {
      if (index === item.row + 1) expect(line).toContain(`,matched,`);
      else expect(line).toBe(golden[index]);
    });
    expect(revised[item.row + 1]).toContain(`,${item.candidateId},accepted in review: the person is ${item.candidateId}`);
    const original = await fetch(
      (await acme.request('GET', `/jobs/${demoJobId}/result?version=0`, undefined, {}, 'manual')).headers.get('location') as string,
    );
    expect(await original.text()).toBe(GOLDEN);
  });

  it('takes a CSV in the request body, refuses what is not a CSV, and keeps tenants apart', async () => {
    const { jobId } = await acme.submitCsv('First Name,Last Name,Email\nNobody,Here,nobody@example.com\n');
    expect(await waitForJob(acme, jobId)).toMatchObject({ status: 'completed', rows: { total: 1 } });
    const refused = await acme.request('POST', '/jobs', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]), { 'content-type': 'text/csv' });
    expect(refused.status).toBe(415);
    expect((await globex.request('GET', `/jobs/${jobId}`)).status).toBe(404);
    expect((await new ApiClient(emulator.url, 'not-a-token-at-all').request('GET', `/jobs/${jobId}`)).status).toBe(401);
  });

  it("pushes a job's progress to its tenant's sockets through the Management API, and answers a reconnecting client's sync", async () => {
    const acmeSocket = await SocketClient.open(emulator.url, ACME);
    const globexSocket = await SocketClient.open(emulator.url, GLOBEX);
    await expect(SocketClient.open(emulator.url, 'not-a-token-at-all')).rejects.toThrow('HTTP 401');
    try {
      const { jobId } = await acme.submitCsv(BOOK.toString('utf8'), '?chunkRows=25');
      expect(await waitForJob(acme, jobId)).toMatchObject({ status: 'completed', chunks: { total: 10 } });
      // The completed state reaches the socket a moment after the job completes (ingest -> bus -> notifier's queue).
      const pushesOf = (messages: readonly Pushed[]) => messages.filter((m) => m.type === 'job' && m.job?.jobId === jobId);
      await acmeSocket.until((messages) => pushesOf(messages).some((m) => m.job?.status === 'completed'));
      const pushes = pushesOf(acmeSocket.messages);
      const latest = pushes.reduce((a, b) => ((b.job?.version ?? 0) > (a.job?.version ?? 0) ? b : a));
      expect(latest.job).toMatchObject({ status: 'completed', rows: { total: 250, done: 250 } });
      // Delivery is at least once and concurrent: a snapshot may come twice, but one version is always one state.
      const byVersion = new Map<number, string>();
      for (const push of pushes) {
        const state = JSON.stringify(push.job);
        expect(byVersion.get(push.job?.version ?? 0) ?? state).toBe(state);
        byVersion.set(push.job?.version ?? 0, state);
      }
      expect(pushesOf(globexSocket.messages)).toEqual([]);

      // A client that comes back asks for the current state first and gets it at once, from notifier's table.
      const again = await SocketClient.open(emulator.url, ACME);
      again.socket.send(JSON.stringify({ action: 'sync' }));
      await again.until((messages) => messages.some((m) => m.type === 'jobs'));
      expect(again.messages.find((m) => m.type === 'jobs')?.jobs?.find((job) => job.jobId === jobId)).toMatchObject({ status: 'completed' });
      globexSocket.socket.send(JSON.stringify({ action: 'watch', jobId }));
      await globexSocket.until((messages) => messages.some((m) => m.type === 'error'));
      expect(globexSocket.messages.find((m) => m.type === 'error')).toEqual({ type: 'error', code: 'not_found', message: `no job ${jobId}` });
      await again.close();
    } finally {
      await acmeSocket.close();
      await globexSocket.close();
    }
  });

  it("erases the demo job in every service that holds its data: DELETE /jobs/{id}, then nothing of it in any bucket or table but the erasure's record", async () => {
    const s3 = new S3Client({ ...emulator.aws.clientConfig, forcePathStyle: true });
    const dynamodb = new DynamoDBClient(emulator.aws.clientConfig);
    const prefix = `tenants/acme/jobs/${demoJobId}/`;
    const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((bucket) => bucket.Name as string) ?? [];
    const objectsUnderPrefix = async (): Promise<string[]> => {
      const keys: string[] = [];
      for (const bucket of buckets) {
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
        keys.push(...(listed.Contents ?? []).map((object) => `${bucket}/${object.Key}`));
      }
      return keys;
    };
    const itemsNamingTheJob = async (): Promise<string[]> => {
      const found: string[] = [];
      for (const table of (await dynamodb.send(new ListTablesCommand({}))).TableNames ?? []) {
        for (const item of (await dynamodb.send(new ScanCommand({ TableName: table }))).Items ?? []) {
          if (JSON.stringify(item).includes(demoJobId)) found.push(`${table}: ${JSON.stringify(item).slice(0, 120)}`);
        }
      }
      return found;
    };
    // Before: the upload, the chunks of two stages, the results and the history all hold the job.
    const before = await objectsUnderPrefix();
    expect(new Set(before.map((key) => key.split('/')[0])).size).toBeGreaterThanOrEqual(4);
    expect((await itemsNamingTheJob()).length).toBeGreaterThan(10);

    const erase = await acme.request('DELETE', `/jobs/${demoJobId}`);
    expect(erase.status).toBe(202);
    expect(erase.headers.get('location')).toBe(`/jobs/${demoJobId}/erasure`);
    let status: { status?: string } = {};
    for (const deadline = Date.now() + 90_000; status.status !== 'erased' && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = (await (await acme.request('GET', `/jobs/${demoJobId}/erasure`)).json()) as { status?: string };
    }
    expect(status.status).toBe('erased');

    expect(await objectsUnderPrefix()).toEqual([]);
    const left = await itemsNamingTheJob();
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^refinery-ingest-\S+: .*erasure#/);
    expect((await acme.request('GET', `/jobs/${demoJobId}`)).status).toBe(404);
    expect((await globex.request('DELETE', `/jobs/${demoJobId}`)).status).toBe(404);
  });

  // Last: it leaves acme subscribed to a receiver that never answers (test/support/webhook-isolation.ts).
  it(`delays no tenant's webhooks behind another's hanging receiver: each arrives within ${BOUND_MS} ms of its job completing`, async () => {
    const receivers = await startReceivers();
    try {
      const latencies = await isolationScenario(acme, globex, receivers);
      for (const latency of latencies) expect(latency).toBeLessThan(BOUND_MS);
      expect(receivers.hung).toBeGreaterThan(0);
    } finally {
      await receivers.stop();
    }
  });
});
