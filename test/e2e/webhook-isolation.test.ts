import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ApiClient } from '@refinery/cli';
import { emulate, type RefineryEmulator } from '@refinery/cli/src/emulate';
import { startTestApp, type TestApp, waitForJob } from '../support/app';
import { REPO_ROOT } from '../support/cli';

// One tenant's webhook receiver accepts connections and never answers; another tenant's webhook must still arrive
// within 2 s of its job completing — locally (the embedded runtime, as `refinery dev` runs it) and on the AWS adapters
// (the packaged stacks on moto). Before the notifier isolated subscribers it took 101 s. The 2 s bound is on the
// event-driven path (bus -> notifier's queue -> delivery), measured from the job's job.completed.v1 time, which the
// webhook carries as its `timestamp`; it is generous for that path (a few hundred milliseconds when idle) and far
// below the hanging receiver's 5 s timeout, which any wait behind it would cost.

jest.setTimeout(300_000);

// Webhooks go to receivers on loopback here: let them through the outbound address check.
process.env.REFINERY_ALLOW_PRIVATE_DESTINATIONS = '1';

const BOUND_MS = 2_000;
const ACME = 'token-acme-0001';
const GLOBEX = 'token-globex-0002';
const ONE_ROW = 'First Name,Last Name,Email\nNobody,Here,nobody@example.com\n';

interface Receivers {
  /** Accepts and never answers. Counts what it got. */
  readonly hanging: Server;
  hung: number;
  /** Answers 204 at once; when each webhook arrived, and its `timestamp` (the job's completion event time). */
  readonly healthy: Server;
  readonly arrivals: { jobId: string; arrivedAt: number; completedAt: number }[];
  url(server: Server, path: string): string;
  stop(): Promise<void>;
}

async function startReceivers(): Promise<Receivers> {
  const receivers: Receivers = {
    hung: 0,
    arrivals: [],
    hanging: createServer((request) => {
      receivers.hung += 1;
      request.resume();
    }),
    healthy: createServer((request, response) => {
      let text = '';
      request.on('data', (chunk) => (text += chunk));
      request.on('end', () => {
        const arrivedAt = Date.now();
        const body = JSON.parse(text) as { timestamp: string; data: { jobId: string } };
        receivers.arrivals.push({ jobId: body.data.jobId, arrivedAt, completedAt: Date.parse(body.timestamp) });
        response.writeHead(204).end();
      });
    }),
    url: (server, path) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    stop: async () => {
      for (const server of [receivers.hanging, receivers.healthy]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
  for (const server of [receivers.hanging, receivers.healthy]) {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  }
  return receivers;
}

async function subscribe(client: ApiClient, url: string): Promise<void> {
  const response = await client.request('POST', '/subscriptions', JSON.stringify({ url }), { 'content-type': 'application/json' });
  expect(response.status).toBe(201);
}

async function until(what: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * acme's receiver hangs and acme keeps finishing jobs; globex finishes jobs meanwhile. Every globex webhook must arrive
 * within the bound of its job's completion. Returns the latencies measured.
 */
async function scenario(acme: ApiClient, globex: ApiClient, receivers: Receivers): Promise<number[]> {
  await subscribe(acme, receivers.url(receivers.hanging, '/acme'));
  await subscribe(globex, receivers.url(receivers.healthy, '/globex'));

  // acme's jobs complete first: their deliveries are hanging (or waiting their turn) when globex's come.
  const acmeJobs = await Promise.all([1, 2, 3].map(() => acme.submitCsv(ONE_ROW)));
  await Promise.all(acmeJobs.map(({ jobId }) => waitForJob(acme, jobId, 120_000)));
  await until('a delivery to the hanging receiver', () => receivers.hung > 0);

  const latencies: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    const { jobId } = await globex.submitCsv(ONE_ROW);
    expect(await waitForJob(globex, jobId, 120_000)).toMatchObject({ status: 'completed' });
    await until(`globex's webhook for ${jobId}`, () => receivers.arrivals.some((arrival) => arrival.jobId === jobId), 30_000);
    const arrival = receivers.arrivals.find((candidate) => candidate.jobId === jobId);
    if (!arrival) throw new Error(`no webhook for ${jobId}`);
    latencies.push(arrival.arrivedAt - arrival.completedAt);
  }
  return latencies;
}

describe("a hanging webhook receiver does not delay another tenant's webhooks", () => {
  let receivers: Receivers;
  beforeEach(async () => {
    receivers = await startReceivers();
  });
  afterEach(() => receivers.stop());

  it(`locally (the embedded runtime): each of globex's webhooks arrives within ${BOUND_MS} ms of its job completing`, async () => {
    let t: TestApp | undefined;
    try {
      // The notifier's own defaults (3 s connect, 5 s response, one delivery in flight per subscription).
      t = await startTestApp({ directory: join(REPO_ROOT, 'examples', 'directory.csv'), settings: { notifier: {} } });
      const latencies = await scenario(t.acme, t.globex, receivers);
      for (const latency of latencies) expect(latency).toBeLessThan(BOUND_MS);
      expect(receivers.hung).toBeGreaterThan(0);
    } finally {
      await t?.stop();
    }
  });

  it(`on the AWS adapters (packaged stacks on moto): each of globex's webhooks arrives within ${BOUND_MS} ms of its job completing`, async () => {
    let emulator: RefineryEmulator | undefined;
    try {
      emulator = await emulate({
        repoRoot: REPO_ROOT,
        port: 0,
        awsPort: 0,
        directory: join(REPO_ROOT, 'examples', 'directory.csv'),
        apiTokens: `acme:${ACME},globex:${GLOBEX}`,
        environment: { 'refinery-notifier-': { REFINERY_ALLOW_PRIVATE_DESTINATIONS: '1' } },
      });
      const latencies = await scenario(new ApiClient(emulator.url, ACME), new ApiClient(emulator.url, GLOBEX), receivers);
      for (const latency of latencies) expect(latency).toBeLessThan(BOUND_MS);
      expect(receivers.hung).toBeGreaterThan(0);
    } finally {
      await emulator?.stop();
    }
  });
});
