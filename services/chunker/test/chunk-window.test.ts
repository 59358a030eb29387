import { join } from 'node:path';
import { chunkMatchedV1, createEvent, type DecodedEvent, type DomainEvent, deriveEventId, followUpMetadata } from '@refinery/events';
import { queryAll } from '@refinery/ports';
import { createTestPorts, eventBridgeBody, readFixture, sqsEvent, type TestPorts, testContext } from '@refinery/test-support';
import { type ChunkerConfig, chunker } from '../src/service';
import { createTestChunker, PLANS_TABLE } from './helpers';

// The per-job window: job.submitted.v1 stores the whole plan and publishes the first W chunk.planned.v1; each
// chunk.matched.v1 of chunk i publishes the stored chunk.planned.v1 of chunk i + W.

const FIXTURES = join(__dirname, 'fixtures');
const SUBMITTED_BODY = readFixture(join(FIXTURES, 'job-submitted.json'));
const SUBMITTED = JSON.parse(SUBMITTED_BODY) as {
  detail: { metadata: { eventId: string; jobId: string; tenantId: string }; data: { input: { bucket: string; key: string } } };
};
const CAUSE = SUBMITTED.detail.metadata;
const INPUT = { bucket: SUBMITTED.detail.data.input.bucket, key: SUBMITTED.detail.data.input.key };

/** A book of `rows` rows; with chunkRows 1 every row is a chunk. */
function book(rows: number): Buffer {
  const lines = ['First Name,Last Name,Email'];
  for (let i = 0; i < rows; i += 1) lines.push(`Person${i},Tester${i},p${i}@example.com`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

function submittedBody(file: Buffer, chunkRows = 1): string {
  const event = JSON.parse(SUBMITTED_BODY);
  event.detail.data.input.sizeBytes = file.length;
  event.detail.data.options = { chunkRows };
  return JSON.stringify(event);
}

const plannedId = (index: number): string => deriveEventId(CAUSE.eventId, 'chunk.planned.v1', index);

/** The chunk.matched.v1 the matcher publishes once it has matched a planned chunk. */
function matchedBody(planned: DomainEvent | DecodedEvent): string {
  const data = planned.data as { chunk: { index: number; count: number }; rows: { first: number; count: number } };
  const matched = createEvent(chunkMatchedV1, {
    service: 'matcher',
    metadata: {
      ...followUpMetadata(planned, deriveEventId(planned.metadata.eventId, chunkMatchedV1.type)),
      occurredAt: '2026-11-28T12:00:03.000Z',
    },
    data: {
      chunk: data.chunk,
      rows: data.rows,
      result: {
        bucket: 'matcher-chunks',
        key: `tenants/${CAUSE.tenantId}/jobs/${CAUSE.jobId}/matched/${String(data.chunk.index).padStart(9, '0')}.ndjson`,
      },
      counts: { matched: data.rows.count, unmatched: 0, invalid: 0, byMethod: { exact: data.rows.count, fuzzy: 0, nickname: 0 } },
    },
  });
  return eventBridgeBody(matched);
}

/** The job's stored plan, in chunk order, as the table holds it. */
async function storedPlanOf(ports: TestPorts): Promise<{ sk: string; window: unknown; event: DomainEvent }[]> {
  const items = [];
  for await (const item of queryAll(ports.table(PLANS_TABLE), `job#${CAUSE.jobId}`)) {
    items.push({ sk: item.sk, window: item.window, event: JSON.parse(String(item.event)) as DomainEvent });
  }
  return items;
}

describe('chunker window: only W chunks of a job are released at a time', () => {
  let ports: TestPorts;
  let service: ReturnType<typeof createTestChunker>;

  // These jobs are tiny: without express lane (their windows are what is tested here).
  function start(config: Partial<ChunkerConfig> = {}): void {
    service = createTestChunker(ports, { expressMaxRows: 0, ...config });
  }

  function deliver(subscription: 'jobs' | 'progress', bodies: readonly string[], options: { receiveCount?: number } = {}) {
    return service.subscriptions[subscription].handler(sqsEvent(bodies, options), testContext());
  }

  const storedPlan = () => storedPlanOf(ports);

  const planned = () => ports.publisher.ofType('chunk.planned.v1');
  const plannedIndexes = () => planned().map((event) => event.data.chunk.index);

  beforeEach(() => {
    ports = createTestPorts();
    start({ chunkWindow: 3 });
  });
  afterEach(() => ports.cleanup());

  it('publishes only the first W chunk.planned.v1, then job.planned.v1 with the whole totals', async () => {
    const file = book(10);
    await ports.objects.put(INPUT, file);

    expect(await deliver('jobs', [submittedBody(file)])).toMatchObject({ batchItemFailures: [] });

    expect(ports.publisher.entries.map((entry) => entry.detailType)).toEqual([
      'chunk.planned.v1',
      'chunk.planned.v1',
      'chunk.planned.v1',
      'job.planned.v1',
    ]);
    expect(planned().map((event) => event.metadata.eventId)).toEqual([plannedId(0), plannedId(1), plannedId(2)]);
    expect(planned().map((event) => event.data.chunk)).toEqual([0, 1, 2].map((index) => ({ index, count: 10 })));
    expect(ports.publisher.ofType('job.planned.v1')[0]?.data).toMatchObject({ rows: { total: 10 }, chunks: { total: 10 } });
  });

  it('stores the whole plan first: one item per chunk with its chunk.planned.v1 (derived id) and the window', async () => {
    const file = book(10);
    await ports.objects.put(INPUT, file);

    await deliver('jobs', [submittedBody(file)]);

    const stored = await storedPlan();
    expect(stored.map((item) => item.sk)).toEqual([...Array(10).keys()].map((index) => `chunk#${String(index).padStart(9, '0')}`));
    expect(stored.map((item) => item.window)).toEqual(Array(10).fill(3));
    expect(stored.map((item) => item.event.metadata.eventId)).toEqual([...Array(10).keys()].map(plannedId));
    expect(stored.map((item) => item.event.data)).toEqual(
      [...Array(10).keys()].map((index) =>
        expect.objectContaining({ input: INPUT, chunk: { index, count: 10 }, rows: { first: index, count: 1, firstLine: index + 2 } }),
      ),
    );
    // What was published is exactly what was stored.
    expect(ports.publisher.events().slice(0, 3)).toEqual(stored.slice(0, 3).map((item) => item.event));
  });

  it('when the bus refuses the first window, the stored plan stays and the retry publishes the same first W', async () => {
    const file = book(5);
    await ports.objects.put(INPUT, file);
    ports.publisher.failWith = new Error('EventBridge unavailable');

    expect(await deliver('jobs', [submittedBody(file)])).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'message-1' }] });
    // The plan is stored before anything is published: the retry finds it (and rewrites the same items).
    expect((await storedPlan()).map((item) => item.event.metadata.eventId)).toEqual([...Array(5).keys()].map(plannedId));

    ports.publisher.failWith = undefined;
    expect(await deliver('jobs', [submittedBody(file)], { receiveCount: 2 })).toMatchObject({ batchItemFailures: [] });
    expect(plannedIndexes()).toEqual([0, 1, 2]);
  });

  it('chunk.matched.v1 of chunk i publishes the stored chunk.planned.v1 of chunk i + W, with its stored id', async () => {
    const file = book(10);
    await ports.objects.put(INPUT, file);
    await deliver('jobs', [submittedBody(file)]);
    const [first] = planned();
    const stored = await storedPlan();
    ports.publisher.clear();

    expect(await deliver('progress', [matchedBody(first!)])).toMatchObject({ batchItemFailures: [] });

    expect(ports.publisher.events()).toEqual([stored[3]?.event]);
    expect(ports.publisher.events()[0]?.metadata.eventId).toBe(plannedId(3));
    expect(ports.publisher.entries[0]?.source).toBe('refinery.chunker');
  });

  it('a duplicate chunk.matched.v1 republishes the very same event (same id), which consumers drop', async () => {
    const file = book(10);
    await ports.objects.put(INPUT, file);
    await deliver('jobs', [submittedBody(file)]);
    const second = planned()[1]!;
    ports.publisher.clear();

    await deliver('progress', [matchedBody(second)]);
    await deliver('progress', [matchedBody(second)], { receiveCount: 2 });
    await deliver('progress', [matchedBody(second), matchedBody(second)]);

    expect(ports.publisher.events().map((event) => event.metadata.eventId)).toEqual(Array(4).fill(plannedId(4)));
    expect(new Set(ports.publisher.entries.map((entry) => entry.detail)).size).toBe(1);
  });

  it('the last W chunks release nothing', async () => {
    const file = book(10);
    await ports.objects.put(INPUT, file);
    await deliver('jobs', [submittedBody(file)]);
    const stored = await storedPlan();
    ports.publisher.clear();

    expect(
      await deliver(
        'progress',
        stored.slice(7).map((item) => matchedBody(item.event)),
      ),
    ).toMatchObject({ batchItemFailures: [] });
    expect(ports.publisher.entries).toEqual([]);

    await deliver('progress', [matchedBody(stored[6]!.event)]);
    expect(plannedIndexes()).toEqual([9]);
  });

  it('releases every chunk exactly once, whatever order chunks complete in', async () => {
    const file = book(23);
    await ports.objects.put(INPUT, file);
    await deliver('jobs', [submittedBody(file)]);
    const released = new Map<string, DecodedEvent>();
    const inFlight = [...planned()];
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (const event of inFlight) released.set(event.metadata.eventId, event);
    while (inFlight.length > 0) {
      // At most W chunks of the job are ever queued or in flight at the matcher.
      expect(inFlight.length).toBeLessThanOrEqual(3);
      const [done] = inFlight.splice(random(inFlight.length), 1);
      ports.publisher.clear();
      await deliver('progress', [matchedBody(done!)]);
      for (const event of planned()) {
        expect(released.has(event.metadata.eventId)).toBe(false);
        released.set(event.metadata.eventId, event);
        inFlight.push(event);
      }
    }
    expect([...released.keys()].sort()).toEqual([...Array(23).keys()].map(plannedId).sort());
  });

  it('a redelivered job.submitted.v1 rebuilds the same plan and republishes the same first W ids, with the window it was planned with', async () => {
    const file = book(10);
    await ports.objects.put(INPUT, file);
    await deliver('jobs', [submittedBody(file)]);
    const first = ports.publisher.events().map((event) => [event.type, event.metadata.eventId]);
    const storedFirst = await storedPlan();
    ports.publisher.clear();

    // Even after a deploy changed the window: the job keeps the one it was planned with.
    start({ chunkWindow: 5 });
    expect(await deliver('jobs', [submittedBody(file)], { receiveCount: 2 })).toMatchObject({ batchItemFailures: [] });

    expect(ports.publisher.events().map((event) => [event.type, event.metadata.eventId])).toEqual(first);
    expect(first).toEqual([
      ...[0, 1, 2].map((index) => ['chunk.planned.v1', plannedId(index)]),
      ['job.planned.v1', deriveEventId(CAUSE.eventId, 'job.planned.v1')],
    ]);
    const storedAgain = await storedPlan();
    expect(storedAgain.map((item) => [item.sk, item.window, item.event.metadata.eventId])).toEqual(
      storedFirst.map((item) => [item.sk, item.window, item.event.metadata.eventId]),
    );
  });

  it('publishes every chunk at once when the job has no more chunks than the window', async () => {
    start({ chunkWindow: 10 });
    const file = book(10);
    await ports.objects.put(INPUT, file);

    await deliver('jobs', [submittedBody(file)]);

    expect(plannedIndexes()).toEqual([...Array(10).keys()]);
    ports.publisher.clear();
    await deliver('progress', [matchedBody((await storedPlan())[0]!.event)]);
    expect(ports.publisher.entries).toEqual([]);
  });

  it('acknowledges a chunk.matched.v1 of a job it holds no plan for (planned before windows), publishing nothing', async () => {
    const file = book(4);
    await ports.objects.put(INPUT, file);
    await deliver('jobs', [submittedBody(file)]);
    const stored = await storedPlan();
    ports.publisher.clear();
    const other = JSON.parse(matchedBody(stored[0]!.event));
    other.detail.metadata.jobId = 'job_01JDQ7ZK3M8V5N2X4C6B9T0R1X';

    expect(await deliver('progress', [JSON.stringify(other)])).toMatchObject({ batchItemFailures: [] });
    expect(ports.publisher.entries).toEqual([]);
  });

  it('retries a release the bus refused (batch item failure); the retry publishes the same event', async () => {
    const file = book(10);
    await ports.objects.put(INPUT, file);
    await deliver('jobs', [submittedBody(file)]);
    const first = planned()[0]!;
    ports.publisher.clear();
    ports.publisher.failWith = new Error('EventBridge unavailable');

    expect(await deliver('progress', [matchedBody(first)])).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'message-1' }] });
    expect(ports.publisher.entries).toEqual([]);

    ports.publisher.failWith = undefined;
    expect(await deliver('progress', [matchedBody(first)], { receiveCount: 2 })).toMatchObject({ batchItemFailures: [] });
    expect(ports.publisher.events().map((event) => event.metadata.eventId)).toEqual([plannedId(3)]);
  });

  it('on the last allowed delivery of a release that keeps failing, reports stage.failed.v1 naming the chunk', async () => {
    const file = book(10);
    await ports.objects.put(INPUT, file);
    await deliver('jobs', [submittedBody(file)]);
    const body = matchedBody(planned()[0]!);
    const matchedId = JSON.parse(body).detail.metadata.eventId as string;
    // The table lost the successor: nothing a retry can fix, so the job must end failed rather than hang.
    await ports.table(PLANS_TABLE).delete({ pk: `job#${CAUSE.jobId}`, sk: 'chunk#000000003' });
    const maxReceiveCount = chunker.subscriptions.progress.queue.maxReceiveCount;
    ports.publisher.clear();

    expect(await deliver('progress', [body], { receiveCount: maxReceiveCount })).toMatchObject({
      batchItemFailures: [{ itemIdentifier: 'message-1' }],
    });

    const [failed] = ports.publisher.ofType('stage.failed.v1');
    expect(failed?.metadata).toMatchObject({ eventId: deriveEventId(matchedId, 'stage.failed.v1', 'chunker', 'progress'), jobId: CAUSE.jobId });
    expect(failed?.data).toMatchObject({
      service: 'chunker',
      subscription: 'progress',
      eventType: 'chunk.matched.v1',
      chunk: { index: 0 },
      retryable: true,
    });
    expect(failed?.data.reason).toContain('but not chunk 3 of 10');
  });

  it('refuses a window that is not a positive integer', () => {
    expect(() => start({ chunkWindow: 0 })).toThrow('chunkWindow must be an integer of at least 1');
    expect(() => start({ chunkWindow: 1.5 })).toThrow('chunkWindow must be an integer of at least 1');
  });
});

describe('chunker lanes: a small job goes express, all at once; a bigger one bulk, a window at a time', () => {
  let ports: TestPorts;
  let service: ReturnType<typeof createTestChunker>;
  const LIMITS = { chunkWindow: 3, expressMaxRows: 10, expressMaxChunks: 20 };

  function start(config: Partial<ChunkerConfig> = {}): void {
    service = createTestChunker(ports, { ...LIMITS, ...config });
  }
  function deliver(subscription: 'jobs' | 'progress', bodies: readonly string[], options: { receiveCount?: number } = {}) {
    return service.subscriptions[subscription].handler(sqsEvent(bodies, options), testContext());
  }
  /** Plans a job of `rows` rows in chunks of `chunkRows`. */
  async function plan(rows: number, chunkRows = 1): Promise<void> {
    const file = book(rows);
    await ports.objects.put(INPUT, file);
    expect(await deliver('jobs', [submittedBody(file, chunkRows)])).toMatchObject({ batchItemFailures: [] });
  }
  const planned = () => ports.publisher.ofType('chunk.planned.v1');
  /** Rewrites the job's stored plan as the previous version stored it: the same items, their events without a lane. */
  async function storeAsThePreviousVersion(): Promise<void> {
    const table = ports.table(PLANS_TABLE);
    for (const item of await storedPlanOf(ports)) {
      const { lane: _lane, ...data } = item.event.data as Record<string, unknown>;
      const key = { pk: `job#${CAUSE.jobId}`, sk: item.sk };
      await table.put({ ...(await table.get(key)), ...key, event: JSON.stringify({ ...item.event, data }) });
    }
  }

  beforeEach(() => {
    ports = createTestPorts();
    start();
  });
  afterEach(() => ports.cleanup());

  it('a job of at most expressMaxRows rows is express: every chunk released at once, each saying so; a completion releases nothing', async () => {
    await plan(10);

    expect(planned().map((event) => event.data.chunk.index)).toEqual([...Array(10).keys()]);
    expect(planned().map((event) => event.data.lane)).toEqual(Array(10).fill('express'));
    const stored = await storedPlanOf(ports);
    expect(stored.map((item) => item.window)).toEqual(Array(10).fill(10));
    expect(stored.map((item) => (item.event.data as { lane?: string }).lane)).toEqual(Array(10).fill('express'));

    ports.publisher.clear();
    await deliver(
      'progress',
      stored.map((item) => matchedBody(item.event)),
    );
    expect(ports.publisher.entries).toEqual([]);
  });

  it('a job of one row more is bulk: its first window released, each chunk saying bulk, the next one on a completion', async () => {
    await plan(11);

    expect(planned().map((event) => [event.data.chunk.index, event.data.lane])).toEqual([
      [0, 'bulk'],
      [1, 'bulk'],
      [2, 'bulk'],
    ]);
    ports.publisher.clear();
    await deliver('progress', [matchedBody(planned()[0] ?? (await storedPlanOf(ports))[0]!.event)]);
    expect(planned().map((event) => [event.data.chunk.index, event.data.lane])).toEqual([[3, 'bulk']]);
  });

  it.each([
    [10, 'express'],
    [11, 'bulk'],
  ] as const)("job.planned.v1 of a job of %i rows carries its chunks' lane (%s), for the merger's queue of that lane", async (rows, lane) => {
    await plan(rows);

    const [totals] = ports.publisher.ofType('job.planned.v1');
    expect(totals!.data.lane).toBe(lane);
    expect(new Set(planned().map((event) => event.data.lane))).toEqual(new Set([lane]));
  });

  it('a job few in rows but of more than expressMaxChunks chunks is bulk (tiny chunks do not jump the queue)', async () => {
    start({ expressMaxRows: 100, expressMaxChunks: 5 });
    await plan(6);
    expect(planned().map((event) => [event.data.chunk.index, event.data.lane])).toEqual([
      [0, 'bulk'],
      [1, 'bulk'],
      [2, 'bulk'],
    ]);

    ports = createTestPorts();
    start({ expressMaxRows: 100, expressMaxChunks: 5 });
    await plan(6, 2); // 3 chunks
    expect(planned().map((event) => event.data.lane)).toEqual(['express', 'express', 'express']);
  });

  it('expressMaxRows 0: no express lane, not even for a job of no rows (whose only event is job.planned.v1)', async () => {
    start({ expressMaxRows: 0 });
    await plan(1);
    expect(planned().map((event) => event.data.lane)).toEqual(['bulk']);

    ports = createTestPorts();
    start({ expressMaxRows: 0 });
    await plan(0);
    expect(planned()).toEqual([]);
    expect(ports.publisher.ofType('job.planned.v1').map((event) => event.data.lane)).toEqual(['bulk']);
  });

  it("a redelivered job.submitted.v1 keeps the job's lane after a deploy changed the limits", async () => {
    await plan(10);
    const first = planned().map((event) => [event.metadata.eventId, event.data.lane]);
    ports.publisher.clear();

    start({ expressMaxRows: 0 });
    await plan(10);
    expect(planned().map((event) => [event.metadata.eventId, event.data.lane])).toEqual(first);
    expect((await storedPlanOf(ports)).map((item) => item.window)).toEqual(Array(10).fill(10));
  });

  it('a plan stored by the previous version (no lane in its events) stays bulk and windowed when its job.submitted.v1 comes again', async () => {
    start({ expressMaxRows: 0 });
    await plan(10);
    await storeAsThePreviousVersion();
    ports.publisher.clear();

    // The small job would be express now; its stored plan says otherwise.
    start();
    await plan(10);
    expect(planned().map((event) => [event.data.chunk.index, event.data.lane])).toEqual([
      [0, 'bulk'],
      [1, 'bulk'],
      [2, 'bulk'],
    ]);
    expect((await storedPlanOf(ports)).map((item) => item.window)).toEqual(Array(10).fill(3));
    // Its totals go to the merger's bulk queue too, where its lane-less chunks go.
    expect(ports.publisher.ofType('job.planned.v1').map((event) => event.data.lane)).toEqual(['bulk']);
  });

  it('a completion of a chunk planned by the previous version releases its successor as stored (without a lane: bulk)', async () => {
    start({ expressMaxRows: 0 });
    await plan(10);
    await storeAsThePreviousVersion();
    const first = planned()[0]!;
    ports.publisher.clear();

    start();
    await deliver('progress', [matchedBody(first)]);
    expect(planned().map((event) => [event.data.chunk.index, event.data.lane])).toEqual([[3, undefined]]);
  });
});
