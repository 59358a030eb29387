import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiClient } from '@refinery/cli';
import { waitForJob } from './app';

// One tenant's webhook receiver accepts connections and never answers; another tenant's webhook must still arrive
// within 2 s of its job completing (test/e2e/webhook-isolation.test.ts locally, test/e2e/aws-pipeline.test.ts on the
// packaged stacks). Before the notifier isolated subscribers it took 101 s. The 2 s bound is on the event-driven path
// (bus -> notifier's queue -> delivery), measured from the job's job.completed.v1 time, which the webhook carries as
// its `timestamp`; it is generous for that path (a few hundred milliseconds when idle) and far below the hanging
// receiver's 5 s timeout, which any wait behind it would cost.

export const BOUND_MS = 2_000;
const ONE_ROW = 'First Name,Last Name,Email\nNobody,Here,nobody@example.com\n';

export interface Receivers {
  /** Accepts and never answers. Counts what it got. */
  readonly hanging: Server;
  hung: number;
  /** Answers 204 at once; when each webhook arrived, and its `timestamp` (the job's completion event time). */
  readonly healthy: Server;
  readonly arrivals: { jobId: string; arrivedAt: number; completedAt: number }[];
  url(server: Server, path: string): string;
  stop(): Promise<void>;
}

export async function startReceivers(): Promise<Receivers> {
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
export async function isolationScenario(acme: ApiClient, globex: ApiClient, receivers: Receivers): Promise<number[]> {
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
