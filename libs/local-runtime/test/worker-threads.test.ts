import { Writable } from 'node:stream';
import { chunkMatchedV1, chunkPlannedV1, createEvent, toPublishEntry } from '@refinery/events';
import { composeService, createEventSubscriptionHandler, defineService, implementService, silentLogger } from '@refinery/runtime';
import pino from 'pino';
import { LocalRuntime, localPlatform } from '../src';
import { type StageApp, stage } from './fixtures/thread-services';
import { tempDir } from './helpers';

// The stage service's consumers run in worker threads (fixtures/thread-services.ts, compiled by tsx in each thread);
// a sink on the main thread hears what they publish.

jest.setTimeout(60_000);

const FIXTURE = require.resolve('./fixtures/thread-services.ts');
const TSX = ['--require', require.resolve('tsx/cjs')];

const sink = defineService({
  name: 'sink',
  description: 'hears chunk.matched.v1 on the main thread',
  subscriptions: {
    matched: {
      description: 'matched chunks',
      events: [chunkMatchedV1],
      queue: { visibilityTimeoutSeconds: 60, maxReceiveCount: 2, batchSize: 10 },
      function: { timeoutSeconds: 10, memorySizeMb: 256 },
    },
  },
});

function planned(index: number) {
  return createEvent(chunkPlannedV1, {
    service: 'chunker',
    metadata: { tenantId: 'acme', jobId: 'job_1', correlationId: 'c', causationId: 'c', eventId: `planned-${index}` },
    data: { ...chunkPlannedV1.example, chunk: { index, count: 100 } },
  });
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('worker threads', () => {
  let dir: ReturnType<typeof tempDir>;
  let runtime: LocalRuntime;
  let lines: Record<string, unknown>[];
  const heard: number[] = [];

  async function start(app: StageApp, count: number): Promise<void> {
    lines = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
          done();
        },
      }),
    );
    // Idle queues are polled every 10 s: what finishes sooner was woken across threads.
    runtime = await LocalRuntime.open({ dataDir: dir.path, idlePollMs: 10_000, logger });
    const sinkService = implementService(sink, (context) => ({
      subscriptions: {
        matched: createEventSubscriptionHandler({
          subscription: sink.subscriptions.matched,
          publisher: context.publisher,
          logger: silentLogger,
          handle: async (event) => {
            heard.push(event.data.chunk.index);
          },
        }),
      },
    }));
    runtime.registerInWorkerThreads(stage);
    runtime.register(await composeService(sinkService, localPlatform(runtime)));
    await runtime.startWorkerThreads({ count, script: FIXTURE, execArgv: TSX, app });
    runtime.start();
  }

  beforeEach(() => {
    dir = tempDir();
    heard.length = 0;
  });
  afterEach(async () => {
    await runtime?.close().catch(() => undefined);
    dir.cleanup();
  });

  it('consumes in the threads, each message once, and routes what they publish to the main thread', async () => {
    await start({}, 2);
    await runtime.bus.publish(Array.from({ length: 30 }, (_, i) => toPublishEntry(planned(i))));
    // A thread's log lines reach the main thread by message, possibly after the sink heard what the thread published.
    const handledLines = () => lines.filter((line) => line.msg === 'chunk handled');
    await until(() => heard.length >= 30 && handledLines().length >= 30, 20_000, '30 chunks heard by the sink, 30 lines logged');
    await until(() => runtime.isIdle(), 5_000, 'the queues to drain');
    // Each chunk handled and published exactly once, although two threads received from the same queue.
    expect([...heard].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const handled = handledLines();
    expect(handled.map((line) => line.index as number).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // Each line was written by a worker thread (not the main thread, 0) and relayed with that thread's id.
    for (const line of handled) {
      expect(line.handledBy).not.toBe(0);
      expect(line.threadId).toBe(line.handledBy);
    }
    // What the threads' handlers recorded is in the main thread's metrics (what `/metrics` shows).
    expect(await runtime.metrics.render()).toContain('refinery_chunks_processed_total{service="stage",stage="matcher"} 30\n');
    // Closing waits for the threads to stop.
    await runtime.close();
    expect(runtime.db.open).toBe(false);
  });

  it("refuses to start when a thread cannot compose its services, with that thread's error", async () => {
    await expect(start({ failToCompose: true }, 1)).rejects.toThrow('the directory file is missing');
  });

  it('says when a thread ends unexpectedly; its message stays in flight for the next start', async () => {
    await start({ exitAtChunk: 7 }, 1);
    const failures: Error[] = [];
    runtime.onFailure((error) => failures.push(error));
    await runtime.bus.publish([toPublishEntry(planned(7))]);
    await until(() => failures.length > 0, 20_000, 'the failure');
    expect(failures[0]?.message).toMatch(/exited with code 3/);
    expect(runtime.queues.depth('stage-chunks')).toEqual({ visible: 0, inFlight: 1 });
    expect(lines.some((line) => line.level === 50 && line.msg === 'a worker thread failed; the work in flight resumes on the next start')).toBe(true);
  });
});
