import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chunkPlannedV1, createEvent, toPublishEntry } from '@refinery/events';
import { composeService, createEventSubscriptionHandler, defineService, implementService, MachineFaultError } from '@refinery/runtime';
import { mountTmpfs, remount, TMPFS_UNAVAILABLE, unmount } from '@refinery/test-support';
import pino from 'pino';
import { openDatabase } from '../src/database';
import { LocalObjectStore } from '../src/local-object-store';
import { localPlatform } from '../src/local-platform';
import { LocalQueues } from '../src/local-queues';
import { LocalRuntime } from '../src/local-runtime';
import { QueuePoller } from '../src/queue-poller';
import { DataDirFaultError, StorageHealth, storageFaultOf } from '../src/storage-health';
import { tempDir } from './helpers';

// A full disk or a read-only data dir is a fault of the machine, not of a message: it is said once, work pauses
// without spending any message's retries, and resumes by itself once writes succeed again.

function fsError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: write failed`), { code });
}

describe('storage fault classification', () => {
  it('knows a full disk and a read-only data dir by their codes, through wrapped causes, and nothing else', () => {
    expect(storageFaultOf(fsError('ENOSPC'))).toEqual({ kind: 'full', code: 'ENOSPC' });
    expect(storageFaultOf(fsError('EDQUOT'))).toEqual({ kind: 'full', code: 'EDQUOT' });
    expect(storageFaultOf(fsError('SQLITE_FULL'))).toEqual({ kind: 'full', code: 'SQLITE_FULL' });
    expect(storageFaultOf(fsError('EROFS'))).toEqual({ kind: 'read-only', code: 'EROFS' });
    expect(storageFaultOf(fsError('EACCES'))).toEqual({ kind: 'read-only', code: 'EACCES' });
    expect(storageFaultOf(fsError('SQLITE_READONLY_DBMOVED'))).toEqual({ kind: 'read-only', code: 'SQLITE_READONLY_DBMOVED' });
    expect(storageFaultOf(new Error('labeling chunk 3 failed', { cause: fsError('ENOSPC') }))).toEqual({ kind: 'full', code: 'ENOSPC' });
    expect(storageFaultOf(fsError('ECONNREFUSED'))).toBeUndefined();
    expect(storageFaultOf(new Error('no code'))).toBeUndefined();
  });

  it('says what, where and what to do, and is a fault of the machine', () => {
    const full = new DataDirFaultError('full', 'ENOSPC', '/srv/data');
    expect(full).toBeInstanceOf(MachineFaultError);
    expect(full.message).toBe(
      'no space left in the data dir /srv/data (ENOSPC: no space left on device); free space there: work is paused, nothing is lost, and it resumes by itself once it can write',
    );
    expect(new DataDirFaultError('read-only', 'EROFS', '/srv/data').message).toMatch(
      /^the data dir \/srv\/data cannot be written \(EROFS: read-only file system\); make it writable/,
    );
  });

  it('logs one error line per episode, probes with a backoff, and resumes when the probe writes', async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    let full = true;
    let probes = 0;
    const health = new StorageHealth({
      dataDir: '/srv/data',
      logger,
      firstRetryMs: 20,
      maxRetryMs: 40,
      probe: () => {
        probes += 1;
        if (full) throw fsError('ENOSPC');
      },
    });
    const changes: (string | undefined)[] = [];
    health.onChange((fault) => changes.push(fault?.kind));
    for (let i = 0; i < 5; i += 1) expect(health.report(fsError('ENOSPC'))).toBeInstanceOf(DataDirFaultError);
    expect(health.report(fsError('ECONNREFUSED'))).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(probes).toBeGreaterThanOrEqual(2);
    expect(health.fault?.kind).toBe('full');
    full = false;
    await health.whenWritable();
    expect(health.fault).toBeUndefined();
    expect(lines.filter((line) => line.level >= 50).map((line) => line.msg)).toEqual([
      'no space left in the data dir /srv/data (ENOSPC: no space left on device); free space there: work is paused, nothing is lost, and it resumes by itself once it can write',
    ]);
    expect(lines.some((line) => line.msg === 'the data dir /srv/data takes writes again; work resumes')).toBe(true);
    expect(changes).toEqual(['full', undefined]);
    health.stop();
  });
});

describe('LocalQueues.giveBack', () => {
  it('returns a received message as if it had not been received: its count back down, visible again', () => {
    const db = openDatabase(':memory:');
    const queues = new LocalQueues(db);
    queues.createQueue('work-dlq', { visibilityTimeoutMs: 30_000 });
    queues.createQueue('work', { visibilityTimeoutMs: 30_000, maxReceiveCount: 1, deadLetterQueue: 'work-dlq' });
    queues.send('work', ['a']);
    for (let i = 0; i < 3; i += 1) {
      const [message] = queues.receive('work', 1);
      expect(message).toMatchObject({ body: 'a', receiveCount: 1 });
      expect(queues.giveBack(message!.receiptHandle)).toBe(true);
      expect(queues.giveBack(message!.receiptHandle)).toBe(false);
    }
    // Without the give-backs it would have been dead-lettered on the second receive.
    expect(queues.peek('work-dlq')).toHaveLength(0);
    db.close();
  });
});

describe('LocalObjectStore during a storage fault', () => {
  it('takes a create-only object back when its Object Created event could not be written, so the writer can try again', async () => {
    const dir = tempDir('refinery-storage-');
    const db = openDatabase(':memory:');
    let eventWritable = false;
    const store = new LocalObjectStore({
      root: dir.path,
      db,
      signingSecret: 'secret',
      publicBaseUrl: () => 'http://127.0.0.1',
      onObjectCreated: () => {
        if (!eventWritable) throw fsError('SQLITE_FULL');
      },
    });
    const ref = { bucket: 'ingest-uploads', key: 'tenants/acme/jobs/job_1/input.csv' };
    await expect(store.put(ref, 'a,b\n1,2\n', { ifNoneMatch: '*' })).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    expect(await store.head(ref)).toBeUndefined();
    eventWritable = true;
    await expect(store.put(ref, 'a,b\n1,2\n', { ifNoneMatch: '*' })).resolves.toMatchObject({ sizeBytes: 8 });
    db.close();
    dir.cleanup();
  });
});

describe('QueuePoller during a storage fault', () => {
  it('gives a message back as soon as writes succeed again when the give-back itself could not be written', async () => {
    // The give-back meets the full disk too (SQLite cannot write it): without a retry once space is back, the message
    // would stay hidden for its visibility timeout (a minute here, up to 90 minutes in the services).
    class FullOnceQueues extends LocalQueues {
      failGiveBacks = 1;
      override giveBack(receiptHandle: string, delayMs = 0): boolean {
        if (this.failGiveBacks > 0) {
          this.failGiveBacks -= 1;
          throw fsError('SQLITE_FULL');
        }
        return super.giveBack(receiptHandle, delayMs);
      }
    }
    const db = openDatabase(':memory:');
    const queues = new FullOnceQueues(db);
    queues.createQueue('work-dlq', { visibilityTimeoutMs: 60_000 });
    queues.createQueue('work', { visibilityTimeoutMs: 60_000, maxReceiveCount: 2, deadLetterQueue: 'work-dlq' });
    const storage = new StorageHealth({ dataDir: '/srv/data', firstRetryMs: 20, probe: () => undefined });
    const deliveries: number[] = [];
    const poller = new QueuePoller(queues, {
      queue: 'work',
      functionName: 'work',
      batchSize: 1,
      concurrency: 1,
      functionTimeoutMs: 10_000,
      logger: pino({ level: 'silent' }),
      idlePollMs: 20,
      storage,
      handler: async (event) => {
        const record = event.Records[0];
        deliveries.push(Number(record?.attributes.ApproximateReceiveCount));
        if (deliveries.length === 1) {
          storage.report(fsError('ENOSPC'));
          return { batchItemFailures: [{ itemIdentifier: record?.messageId ?? '' }] };
        }
        return { batchItemFailures: [] };
      },
    });
    poller.start();
    queues.send('work', ['a']);
    await until(() => deliveries.length === 2, 5000);
    // Delivered again at once, and as its first attempt.
    expect(deliveries).toEqual([1, 1]);
    await until(() => queues.depth('work').visible + queues.depth('work').inFlight === 0, 5000);
    await poller.stop();
    storage.stop();
    db.close();
  });
});

// A service whose handler writes an object of OBJECT_BYTES per message: on a small file system, the disk fills.
const OBJECT_BYTES = 600 * 1024;
const writer = defineService({
  name: 'writer',
  description: 'writes an object per chunk',
  buckets: { out: { description: 'objects' } },
  subscriptions: {
    chunks: {
      description: 'chunks',
      events: [chunkPlannedV1],
      // One retry only: a runtime that spent deliveries on the full disk would dead-letter at once.
      queue: { visibilityTimeoutSeconds: 60, maxReceiveCount: 2, batchSize: 1 },
      function: { timeoutSeconds: 10, memorySizeMb: 256 },
    },
  },
});
const writerService = implementService(writer, (context) => ({
  subscriptions: {
    chunks: createEventSubscriptionHandler({
      subscription: writer.subscriptions.chunks,
      publisher: context.publisher,
      logger: context.logger,
      handle: async (event) => {
        const { index } = event.data.chunk;
        await context.objects.put({ bucket: context.buckets.out, key: `chunk-${index}` }, Buffer.alloc(OBJECT_BYTES, index));
      },
    }),
  },
}));

function planned(index: number) {
  return toPublishEntry(
    createEvent(chunkPlannedV1, {
      service: 'chunker',
      metadata: { tenantId: 'acme', jobId: 'job_1', correlationId: 'c', causationId: 'c' },
      data: { ...chunkPlannedV1.example, chunk: { index, count: 12 } },
    }),
  );
}

async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('LocalRuntime during a storage fault that comes and goes', () => {
  let dir: ReturnType<typeof tempDir>;
  let runtime: LocalRuntime | undefined;
  afterEach(async () => {
    await runtime?.close();
    dir.cleanup();
  });

  it('gives every delivery that met the fault back uncounted, so no message reaches its dead-letter queue', async () => {
    dir = tempDir('refinery-storage-');
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const rt = await LocalRuntime.open({
      dataDir: dir.path,
      logger,
      visibilityTimeoutMs: 50,
      idlePollMs: 20,
      storageRetryMs: { firstMs: 10, maxMs: 20 },
    });
    runtime = rt;
    // The disk is full for each message's first six deliveries, and each time space comes back a moment later (the
    // probe succeeds): a queue that counted those deliveries would dead-letter the message on its third receive.
    const deliveries = new Map<number, number>();
    const done = new Set<number>();
    const flaky = implementService(writer, (context) => ({
      subscriptions: {
        chunks: createEventSubscriptionHandler({
          subscription: writer.subscriptions.chunks,
          publisher: context.publisher,
          logger: context.logger,
          handle: async (event) => {
            const { index } = event.data.chunk;
            const count = (deliveries.get(index) ?? 0) + 1;
            deliveries.set(index, count);
            if (count <= 6) throw rt.storage.report(fsError('ENOSPC'));
            done.add(index);
          },
        }),
      },
    }));
    rt.register(await composeService(flaky, localPlatform(rt, { logger })));
    rt.start();
    await rt.bus.publish([0, 1, 2].map((index) => planned(index)));
    await until(() => done.size === 3 && rt.isIdle());
    expect([...deliveries.values()]).toEqual([7, 7, 7]);
    expect(rt.queues.peek('writer-chunks-dlq')).toHaveLength(0);
    expect(rt.bus.history({ jobId: 'job_1' }).filter((event) => event.detailType === 'stage.failed.v1')).toHaveLength(0);
    // One episode: one error line, however many times the fault came back.
    expect(lines.filter((line) => line.level >= 50)).toHaveLength(1);
  });
});

const onTmpfs = TMPFS_UNAVAILABLE ? it.skip : it;
if (TMPFS_UNAVAILABLE) process.stdout.write(`storage-faults.test.ts: the tmpfs tests are skipped: ${TMPFS_UNAVAILABLE}\n`);

describe('LocalRuntime on a small file system', () => {
  jest.setTimeout(30_000);
  let dir: ReturnType<typeof tempDir>;
  const mounts: string[] = [];
  let runtime: LocalRuntime | undefined;
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });

  beforeEach(() => {
    dir = tempDir('refinery-storage-');
    lines.length = 0;
  });
  afterEach(async () => {
    await runtime?.close().catch(() => undefined);
    runtime = undefined;
    for (const mount of mounts.splice(0).reverse()) unmount(mount);
    dir.cleanup();
  });

  async function openOn(dataDir: string): Promise<LocalRuntime> {
    runtime = await LocalRuntime.open({ dataDir, logger, visibilityTimeoutMs: 50, idlePollMs: 20, storageRetryMs: { firstMs: 100, maxMs: 300 } });
    runtime.register(await composeService(writerService, localPlatform(runtime, { logger })));
    return runtime;
  }

  const errorLines = () => lines.filter((line) => line.level >= 50).map((line) => line.msg);
  const stored = (rt: LocalRuntime) => rt.db.prepare("SELECT COUNT(*) AS n FROM objects WHERE bucket = 'writer-out'").get() as { n: number };

  onTmpfs('pauses on a full disk without spending retries, says so once, and resumes by itself when space is back', async () => {
    const mount = join(dir.path, 'fs');
    mountTmpfs(mount, 3 * 1024);
    mounts.push(mount);
    const rt = await openOn(join(mount, 'data'));
    rt.start();
    await rt.bus.publish(Array.from({ length: 12 }, (_, index) => planned(index)));
    await until(() => rt.storage.fault !== undefined);
    expect(rt.storage.fault).toMatchObject({ kind: 'full' });
    // Many probes (100 to 300 ms apart) and, were deliveries counted, many dead-letters: none.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(rt.storage.fault).toMatchObject({ kind: 'full' });
    expect(rt.queues.peek('writer-chunks-dlq')).toHaveLength(0);
    expect(rt.bus.history({ jobId: 'job_1' }).filter((event) => event.detailType === 'stage.failed.v1')).toHaveLength(0);
    for (const message of rt.queues.peek('writer-chunks')) expect(message.receiveCount).toBeLessThanOrEqual(1);
    // The object's file or the database's write meets the full disk first: either says so.
    expect(errorLines()).toEqual([
      expect.stringMatching(
        /^no space left in the data dir \S+\/data \((ENOSPC: no space left on device|SQLITE_FULL: database or disk is full)\); free space there: work is paused, nothing is lost, and it resumes by itself once it can write$/,
      ),
    ]);

    remount(mount, 'size=64m');
    await until(() => stored(rt).n === 12 && rt.isIdle());
    expect(rt.storage.fault).toBeUndefined();
    expect(rt.queues.peek('writer-chunks-dlq')).toHaveLength(0);
    expect(errorLines()).toHaveLength(1);
    expect(lines.some((line) => line.msg.includes('takes writes again; work resumes'))).toBe(true);
  });

  onTmpfs('pauses while its objects cannot be written (a read-only file system), and resumes once they can', async () => {
    const mount = join(dir.path, 'fs');
    mountTmpfs(mount, 16 * 1024);
    mounts.push(mount);
    const dataDir = join(mount, 'data');
    const rt = await openOn(dataDir);
    // The objects folder on a file system of its own, then made read-only (the database beside it stays writable).
    const objects = join(dataDir, 'objects');
    mkdirSync(objects, { recursive: true });
    mountTmpfs(objects, 16 * 1024);
    mounts.push(objects);
    remount(objects, 'ro');
    rt.start();
    await rt.bus.publish([0, 1, 2].map((index) => planned(index)));
    await until(() => rt.storage.fault !== undefined);
    expect(rt.storage.fault).toMatchObject({ kind: 'read-only', code: 'EROFS' });
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(rt.queues.peek('writer-chunks-dlq')).toHaveLength(0);
    expect(errorLines()).toEqual([
      `the data dir ${dataDir} cannot be written (EROFS: read-only file system); make it writable (remount it read-write, or give this user write permission): work is paused, nothing is lost, and it resumes by itself once it can write`,
    ]);

    remount(objects, 'rw');
    await until(() => stored(rt).n === 3 && rt.isIdle());
    expect(rt.queues.peek('writer-chunks-dlq')).toHaveLength(0);
  });

  onTmpfs('refuses a read-only data dir at start-up, saying so', async () => {
    const mount = join(dir.path, 'fs');
    mountTmpfs(mount, 4 * 1024);
    mounts.push(mount);
    const dataDir = join(mount, 'data');
    await (await openOn(dataDir)).close();
    runtime = undefined;
    remount(mount, 'ro');
    const opening = LocalRuntime.open({ dataDir, logger });
    await expect(opening).rejects.toBeInstanceOf(DataDirFaultError);
    await expect(opening).rejects.toMatchObject({
      kind: 'read-only',
      message: expect.stringMatching(/^the data dir .+\/data cannot be written \(EROFS: read-only file system\); make it writable/),
    });
  });
});
