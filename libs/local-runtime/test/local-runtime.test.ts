import { chunkPlannedV1, createEvent, toPublishEntry } from '@refinery/events';
import {
  composeService,
  createEventSubscriptionHandler,
  createHttpApi,
  createSubscriptionHandler,
  defineService,
  implementService,
  json,
  type RunnableService,
  silentLogger,
  TokenRegistry,
} from '@refinery/runtime';
import { LocalHttpGateway, LocalRuntime, localPlatform } from '../src';
import { tempDir } from './helpers';

const worker = defineService({
  name: 'worker',
  description: 'a test service',
  buckets: { uploads: { description: 'uploads' } },
  subscriptions: {
    chunks: {
      description: 'chunks',
      events: [chunkPlannedV1],
      queue: { visibilityTimeoutSeconds: 60, maxReceiveCount: 2, batchSize: 5 },
      function: { timeoutSeconds: 10, memorySizeMb: 256 },
    },
    uploads: {
      description: 'uploads',
      objectCreated: { bucket: 'uploads', jobOf: () => undefined },
      queue: { visibilityTimeoutSeconds: 60, maxReceiveCount: 2, batchSize: 5 },
      function: { timeoutSeconds: 10, memorySizeMb: 256 },
    },
  },
  http: { routes: ['GET /things/{id}', 'GET /things/special'], function: { timeoutSeconds: 10, memorySizeMb: 256 } },
});

const metadata = { tenantId: 'acme', jobId: 'job_1', correlationId: 'c', causationId: 'c' };
function planned(index: number) {
  return createEvent(chunkPlannedV1, {
    service: 'chunker',
    metadata,
    data: { ...chunkPlannedV1.example, chunk: { index, count: 10 } },
  });
}

// Generous: it ends a wait that hangs, and costs nothing while the condition comes true (5 s was once not enough at a
// load of 25 on 2 cores).
async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('LocalRuntime', () => {
  let dir: ReturnType<typeof tempDir>;
  let runtime: LocalRuntime;
  const received: { index: number; receiveCount: number }[] = [];
  const uploads: string[] = [];
  let failIndex = -1;

  const workerService = implementService(worker, (context) => ({
    subscriptions: {
      chunks: createEventSubscriptionHandler({
        subscription: worker.subscriptions.chunks,
        publisher: context.publisher,
        logger: silentLogger,
        handle: async (event, { receiveCount }) => {
          const { index } = event.data.chunk;
          received.push({ index, receiveCount });
          if (index === failIndex) throw new Error(`chunk ${index} is poison`);
        },
      }),
      uploads: createSubscriptionHandler({
        subscription: worker.subscriptions.uploads,
        publisher: context.publisher,
        logger: silentLogger,
        decode: (body) => JSON.parse(body).detail.object.key as string,
        describe: () => undefined,
        handle: async (key) => {
          uploads.push(key);
        },
      }),
    },
    http: createHttpApi({
      logger: silentLogger,
      tokens: TokenRegistry.parse('acme:token-acme-1234'),
      routes: {
        'GET /things/{id}': async (request) => json(200, { id: request.pathParameters.id, route: request.routeKey }),
        'GET /things/special': async (request) => json(200, { route: request.routeKey }),
      },
    }),
  }));

  function service(rt: LocalRuntime): Promise<RunnableService> {
    return composeService(workerService, localPlatform(rt));
  }

  beforeEach(async () => {
    dir = tempDir();
    received.length = 0;
    uploads.length = 0;
    failIndex = -1;
    runtime = await LocalRuntime.open({ dataDir: dir.path, visibilityTimeoutMs: 50, idlePollMs: 20 });
    runtime.register(await service(runtime));
  });
  afterEach(async () => {
    await runtime.close().catch(() => undefined);
    dir.cleanup();
  });

  it('routes events by the declared patterns and delivers them as SQS batches', async () => {
    runtime.start();
    await runtime.bus.publish([1, 2, 3].map((i) => toPublishEntry(planned(i))));
    await until(() => received.length === 3);
    expect(received.map((r) => r.index).sort()).toEqual([1, 2, 3]);
    await until(() => runtime.isIdle());
    expect(runtime.queues.depth('worker-chunks')).toEqual({ visible: 0, inFlight: 0 });
  });

  it('retries a failing message after its visibility timeout, then dead-letters it and reports the failed stage', async () => {
    failIndex = 7;
    runtime.start();
    await runtime.bus.publish([toPublishEntry(planned(7))]);
    await until(() => runtime.queues.peek('worker-chunks-dlq').length === 1);
    expect(received.filter((r) => r.index === 7).map((r) => r.receiveCount)).toEqual([1, 2]);
    const failures = runtime.bus.history({ jobId: 'job_1' }).filter((e) => e.detailType === 'stage.failed.v1');
    // One report from the handler on its last attempt, one from the dead-letter move; both carry the same eventId.
    expect(failures.length).toBeGreaterThanOrEqual(1);
    const ids = new Set(failures.map((e) => (e.event.detail as { metadata: { eventId: string } }).metadata.eventId));
    expect(ids.size).toBe(1);
    const dlqReport = failures.map((e) => (e.event.detail as { data: { reason: string } }).data.reason).find((r) => r.includes('dead-letter queue'));
    expect(dlqReport).toBe(
      'worker gave up on chunk 8 (rows 2001-3000): it was received 2 times without being processed and was moved to the dead-letter queue worker-chunks-dlq',
    );
  });

  it("brings a failed message back after its backoff, not after the queue's visibility timeout", async () => {
    await runtime.close();
    runtime = await LocalRuntime.open({ dataDir: dir.path, visibilityTimeoutMs: 60_000, idlePollMs: 20 });
    runtime.register(await service(runtime));
    failIndex = 4;
    runtime.start();
    await runtime.bus.publish([toPublishEntry(planned(4))]);
    await until(() => received.length === 1 && runtime.queues.depth('worker-chunks').inFlight === 1 && !runtime.isIdle());
    await until(() => (runtime.queues.nextVisibleIn('worker-chunks') ?? 60_000) < 30_000);
    // The first retry's backoff: 10 s and up to a quarter more (it was 60 s before the handler said otherwise).
    const comesBackIn = runtime.queues.nextVisibleIn('worker-chunks') as number;
    expect(comesBackIn).toBeGreaterThan(8_000);
    expect(comesBackIn).toBeLessThanOrEqual(13_000);
  });

  it("emits S3-style Object Created events for the buckets a subscription listens to, to that subscription's queue", async () => {
    runtime.enableObjectCreatedEvents('another-notifying-bucket');
    runtime.start();
    await runtime.objects.put({ bucket: 'another-notifying-bucket', key: 'tenants/acme/b.csv' }, 'x');
    await runtime.objects.put({ bucket: 'worker-uploads', key: 'tenants/acme/a.csv' }, 'x');
    await runtime.objects.put({ bucket: 'quiet-bucket', key: 'b.csv' }, 'x');
    await until(() => uploads.length === 1);
    expect(uploads).toEqual(['tenants/acme/a.csv']);
  });

  it('refuses a second runtime on the same data dir, and releases in-flight messages on restart', async () => {
    await expect(LocalRuntime.open({ dataDir: dir.path })).rejects.toThrow(`data dir ${dir.path} is in use by process ${process.pid}`);
    await runtime.bus.publish([toPublishEntry(planned(4))]);
    runtime.queues.receive('worker-chunks', 1, 600_000);
    expect(runtime.queues.depth('worker-chunks')).toEqual({ visible: 0, inFlight: 1 });
    await runtime.close();
    runtime = await LocalRuntime.open({ dataDir: dir.path });
    runtime.register(await service(runtime));
    expect(runtime.queues.depth('worker-chunks')).toEqual({ visible: 1, inFlight: 0 });
  });

  it('serves HTTP routes as API Gateway v2 events, literal routes before parameters, and presigned object URLs', async () => {
    const gateway = new LocalHttpGateway(runtime);
    const url = await gateway.listen(0);
    try {
      const auth = { authorization: 'Bearer token-acme-1234' };
      expect(await (await fetch(`${url}/things/42`, { headers: auth })).json()).toEqual({ id: '42', route: 'GET /things/{id}' });
      expect(await (await fetch(`${url}/things/special`, { headers: auth })).json()).toEqual({ route: 'GET /things/special' });
      expect((await fetch(`${url}/things/42`, { method: 'DELETE', headers: auth })).status).toBe(405);
      expect((await fetch(`${url}/nowhere`)).status).toBe(404);

      const ref = { bucket: 'uploads-bucket', key: 'tenants/acme/in put.csv' };
      const put = await runtime.objects.presignPut(ref, { expiresInSeconds: 60, contentType: 'text/csv', ifNoneMatch: '*' });
      expect((await fetch(put.url, { method: 'PUT', headers: put.headers, body: 'a,b\n' })).status).toBe(200);
      expect((await fetch(put.url, { method: 'PUT', headers: put.headers, body: 'other' })).status).toBe(412);
      expect((await fetch(put.url, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: 'x' })).status).toBe(403);
      const get = await runtime.objects.presignGet(ref, { expiresInSeconds: 60, downloadName: 'result.csv' });
      const download = await fetch(get.url);
      expect(download.status).toBe(200);
      expect(download.headers.get('content-disposition')).toBe('attachment; filename="result.csv"');
      expect(await download.text()).toBe('a,b\n');
      expect((await fetch(get.url.replace('X-Refinery-Signature=', 'X-Refinery-Signature=00'))).status).toBe(403);
    } finally {
      await gateway.close();
    }
  });
});

describe('LocalRuntime schedules', () => {
  const ticker = defineService({
    name: 'ticker',
    description: 'a service with a schedule',
    subscriptions: {},
    schedules: { tick: { description: 'ticks', everyMinutes: 5, function: { timeoutSeconds: 10, memorySizeMb: 256 } } },
  });

  it('calls a scheduled function every interval with a Scheduled Event, and goes on after a failed run', async () => {
    const dir = tempDir();
    const runs: { source: string; detailType: string; remainingMs: number }[] = [];
    const runtime = await LocalRuntime.open({ dataDir: dir.path, scheduleIntervalMs: 20 });
    try {
      runtime.register({
        declaration: ticker,
        subscriptions: {},
        schedules: {
          tick: async (event, context) => {
            runs.push({ source: event.source, detailType: event['detail-type'], remainingMs: context.getRemainingTimeInMillis() });
            if (runs.length === 1) throw new Error('the first run fails');
          },
        },
      });
      await runtime.runSchedule('ticker', 'tick');
      expect(runs).toHaveLength(1);
      runtime.start();
      await until(() => runs.length >= 3);
      await runtime.stop();
      const stopped = runs.length;
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(runs.length).toBe(stopped);
      expect(runs[0]).toEqual({ source: 'aws.events', detailType: 'Scheduled Event', remainingMs: expect.any(Number) });
      expect(runs[0]?.remainingMs).toBeLessThanOrEqual(10_000);
      await expect(runtime.runSchedule('ticker', 'tock')).rejects.toThrow('no schedule tock of service ticker');
    } finally {
      await runtime.close();
      dir.cleanup();
    }
  });
});

describe('LocalRuntime subscriptions with a data pattern', () => {
  const size = { queue: { visibilityTimeoutSeconds: 60, maxReceiveCount: 2, batchSize: 5 }, function: { timeoutSeconds: 10, memorySizeMb: 256 } };
  const lanes = defineService({
    name: 'lanes',
    description: 'one event type on two queues, by a field of its data',
    subscriptions: {
      chunks: { description: 'bulk', events: [chunkPlannedV1], dataPattern: { lane: ['bulk', { exists: false }] }, ...size },
      expressChunks: { description: 'express', events: [chunkPlannedV1], dataPattern: { lane: ['express'] }, ...size },
    },
  });

  it("routes each event to the queue whose pattern its data matches: express to its own, bulk and lane-less ones to the other's", async () => {
    const dir = tempDir();
    const handled: [string, number][] = [];
    const handler = (subscription: typeof lanes.subscriptions.chunks | typeof lanes.subscriptions.expressChunks) =>
      createEventSubscriptionHandler({
        subscription,
        publisher: { publish: async () => undefined },
        logger: silentLogger,
        handle: async (event) => {
          handled.push([subscription.name, event.data.chunk.index]);
        },
      });
    const runtime = await LocalRuntime.open({ dataDir: dir.path, idlePollMs: 20 });
    try {
      runtime.register(
        await composeService(
          implementService(lanes, () => ({
            subscriptions: { chunks: handler(lanes.subscriptions.chunks), expressChunks: handler(lanes.subscriptions.expressChunks) },
          })),
          localPlatform(runtime),
        ),
      );
      const { lane: _lane, ...laneless } = chunkPlannedV1.example;
      const event = (index: number, data: object) =>
        createEvent(chunkPlannedV1, { service: 'chunker', metadata, data: { ...laneless, ...data, chunk: { index, count: 3 } } });
      await runtime.bus.publish([event(0, { lane: 'express' }), event(1, { lane: 'bulk' }), event(2, {})].map(toPublishEntry));

      expect(runtime.queues.depth('lanes-express-chunks')).toEqual({ visible: 1, inFlight: 0 });
      expect(runtime.queues.depth('lanes-chunks')).toEqual({ visible: 2, inFlight: 0 });
      runtime.start();
      await until(() => handled.length === 3);
      expect(handled.sort()).toEqual([
        ['chunks', 1],
        ['chunks', 2],
        ['expressChunks', 0],
      ]);
    } finally {
      await runtime.close();
      dir.cleanup();
    }
  });
});
