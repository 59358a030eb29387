import { chunkLabeledV1, createEvent, deriveEventId, type JobViewData, jobCreatedV1, jobPlannedV1 } from '@refinery/events';
import type { Condition, EventPublisher, Item, ItemKey, ItemUpdate, PublishEntry, QueryOptions, Table, TransactWrite } from '@refinery/ports';
import { type Logger, MachineFaultError, silentLogger } from '@refinery/runtime';
import { createTestPorts, eventBridgeBody, type TestPorts } from '@refinery/test-support';
import { JobHistory } from '../src/domain/job-history';
import { JobProgress, summaryKey } from '../src/domain/job-progress';
import { publicJobView } from '../src/domain/job-state';
import { createHarness, FIRST_JOB_ID, fakeSleep, fixture, getJob, type IngestHarness, postCsv, sampleFile } from './helpers';
import { foldJobState } from './reference-fold';

const CONTACTS = sampleFile('contacts.csv');
const INTERVAL_MS = 250;

/** chunk.labeled.v1 of chunk `index` of `count` (10 rows each) of an acme job, as EventBridge delivers it. */
function labeled(jobId: string, index: number, count: number, byMethod = { exact: 2, fuzzy: 1, nickname: 1 }): string {
  const matched = byMethod.exact + byMethod.fuzzy + byMethod.nickname;
  const event = createEvent(chunkLabeledV1, {
    service: 'labeler',
    metadata: {
      eventId: deriveEventId(jobId, 'test chunk', index),
      occurredAt: new Date(Date.parse('2026-11-28T12:01:00.000Z') + index * 1000).toISOString(),
      tenantId: 'acme',
      jobId,
      correlationId: 'request-1',
      causationId: deriveEventId(jobId, 'test chunk planned', index),
    },
    data: {
      chunk: { index, count },
      rows: { first: index * 10, count: 10 },
      result: { bucket: 'labeler-chunks', key: `tenants/acme/jobs/${jobId}/labeled/${index}.ndjson` },
      counts: { matched, unmatched: 10 - matched - 1, invalid: 1, byMethod },
    },
  });
  return eventBridgeBody(event);
}

function planned(jobId: string, chunks: number): string {
  const event = createEvent(jobPlannedV1, {
    service: 'chunker',
    metadata: {
      eventId: deriveEventId(jobId, 'test planned'),
      occurredAt: '2026-11-28T12:00:05.000Z',
      tenantId: 'acme',
      jobId,
      correlationId: 'request-1',
      causationId: 'request-1',
    },
    data: { ...jobPlannedV1.example, rows: { total: chunks * 10 }, chunks: { total: chunks } },
  });
  return eventBridgeBody(event);
}

function versionsOf(views: readonly JobViewData[]): number[] {
  return views.map((view) => view.version);
}

function expectNonDecreasing(values: readonly number[]): void {
  values.forEach((value, index) => {
    if (index > 0) expect(value).toBeGreaterThanOrEqual(values[index - 1] as number);
  });
}

describe('job.progressed.v1: the fold it carries', () => {
  const harnesses: IngestHarness[] = [];
  afterEach(() => {
    for (const harness of harnesses.splice(0)) harness.ports.cleanup();
  });

  async function jobHarness(): Promise<IngestHarness> {
    const harness = createHarness();
    harnesses.push(harness);
    await postCsv(harness, CONTACTS, { query: { filename: 'contacts.csv' } });
    return harness;
  }

  it('sums byMethod over the labeled chunks while running (a relabel replaces its chunk), then takes the merger figures', async () => {
    const harness = await jobHarness();
    await harness.history([planned(FIRST_JOB_ID, 3), labeled(FIRST_JOB_ID, 0, 3, { exact: 3, fuzzy: 1, nickname: 0 })]);
    await harness.history([labeled(FIRST_JOB_ID, 1, 3, { exact: 1, fuzzy: 0, nickname: 2 })]);
    expect((await getJob(harness, FIRST_JOB_ID)).json).toMatchObject({
      status: 'running',
      rows: { total: 30, done: 20, matched: 7 },
      byMethod: { exact: 4, fuzzy: 1, nickname: 2 },
      version: 4,
    });

    const completed = JSON.parse(fixture('job-completed.json'));
    // Final figures that differ from the chunk sums: once completed, the merger's word is the view's.
    completed.detail.data.byMethod = { exact: 5, fuzzy: 4, nickname: 3 };
    completed.detail.data.rows = { total: 30, matched: 12, unmatched: 15, invalid: 3 };
    await harness.history([JSON.stringify(completed)]);

    expect((await getJob(harness, FIRST_JOB_ID)).json).toMatchObject({
      status: 'completed',
      rows: { total: 30, done: 30, matched: 12 },
      byMethod: { exact: 5, fuzzy: 4, nickname: 3 },
      version: 5,
    });
  });

  it('counts distinct events as the version: a duplicate delivery does not raise it', async () => {
    const harness = await jobHarness();
    const chunk = labeled(FIRST_JOB_ID, 0, 2);

    await harness.history([chunk, chunk]);
    await harness.history([chunk], { receiveCount: 2 });

    expect((await getJob(harness, FIRST_JOB_ID)).json.version).toBe(2);
    expect(versionsOf(harness.progressed())).toEqual([1, 2]);
  });

  it('publishes, per job, the view GET /jobs/{id} answers, and writes it to the summary GET /jobs lists', async () => {
    const harness = await jobHarness();
    harness.ports.clock.advance(1000);

    await harness.history([planned(FIRST_JOB_ID, 2), labeled(FIRST_JOB_ID, 0, 2)]);

    const view = (await getJob(harness, FIRST_JOB_ID)).json;
    expect(view).toMatchObject({ status: 'running', version: 3, byMethod: { exact: 2, fuzzy: 1, nickname: 1 } });
    const [createdView, latest, ...others] = harness.progressed();
    expect(others).toEqual([]);
    expect(createdView).toMatchObject({ status: 'accepted', version: 1 });
    expect(latest).toEqual(view);
    const [, event] = harness.ports.publisher.ofType('job.progressed.v1');
    expect(event?.source).toBe('refinery.ingest');
    expect(event?.metadata).toMatchObject({
      tenantId: 'acme',
      jobId: FIRST_JOB_ID,
      correlationId: 'request-1',
      eventId: deriveEventId(FIRST_JOB_ID, 'job.progressed.v1', 3),
    });
    const list = await harness.http({ routeKey: 'GET /jobs', token: 'token-acme-123' });
    expect(list.json).toEqual({ jobs: [view], next: null });
  });
});

describe('job.progressed.v1: throttled per job, always ending on the latest state', () => {
  const harnesses: IngestHarness[] = [];
  afterEach(() => {
    for (const harness of harnesses.splice(0)) harness.ports.cleanup();
  });

  async function jobHarness(count = 1): Promise<IngestHarness> {
    const harness = createHarness();
    harnesses.push(harness);
    for (let job = 0; job < count; job += 1) await postCsv(harness, CONTACTS, { query: { filename: `contacts-${job}.csv` } });
    return harness;
  }

  async function summaryVersion(harness: IngestHarness, jobId = FIRST_JOB_ID): Promise<number> {
    const item = await harness.ports.table('ingest-jobs').get(summaryKey('acme', jobId));
    return item?.version as number;
  }

  it('publishes a burst of 100 chunk.labeled events (20 batches, 4 handlers at a time) at most once per interval', async () => {
    const harness = await jobHarness();
    const startedAt = harness.ports.clock.now().getTime();
    const chunks = Array.from({ length: 100 }, (_, index) => labeled(FIRST_JOB_ID, index, 100));
    const batches = Array.from({ length: 20 }, (_, index) => chunks.slice(index * 5, index * 5 + 5));
    const summaryVersions: number[] = [];

    for (let round = 0; round < 5; round += 1) {
      const responses = await Promise.all(batches.slice(round * 4, round * 4 + 4).map((batch) => harness.history(batch)));
      for (const response of responses) expect(response).toMatchObject({ batchItemFailures: [] });
      summaryVersions.push(await summaryVersion(harness));
      harness.ports.clock.advance(20); // the next batches arrive 20 ms later
    }

    const elapsed = harness.ports.clock.now().getTime() - startedAt;
    const published = harness.progressed();
    // job.created's view, then at most one per interval of the time that passed (the waits included), plus one.
    expect(published.length).toBeLessThanOrEqual(Math.floor(elapsed / INTERVAL_MS) + 2);
    // Without the throttle, each of the 20 batches would publish: here far fewer do.
    expect(published.length).toBeLessThan(20);
    expectNonDecreasing(versionsOf(published));
    expectNonDecreasing(summaryVersions);
    const final = (await getJob(harness, FIRST_JOB_ID)).json;
    expect(final).toMatchObject({ version: 101, chunks: { total: 100, done: 100 }, byMethod: { exact: 200, fuzzy: 100, nickname: 100 } });
    expect(published[published.length - 1]).toEqual(final);
    expect(await summaryVersion(harness)).toBe(101);
  });

  it('publishes once per job per batch, whatever the number of events of the job in it', async () => {
    const harness = await jobHarness(2);
    const second = 'job_TEST000002';
    harness.ports.clock.advance(1000);
    harness.ports.publisher.clear();

    await harness.history([
      ...Array.from({ length: 7 }, (_, index) => labeled(FIRST_JOB_ID, index, 7)),
      ...Array.from({ length: 3 }, (_, index) => labeled(second, index, 3)),
    ]);

    const published = harness.progressed();
    expect(published.map((view) => [view.jobId, view.version]).sort()).toEqual([
      [FIRST_JOB_ID, 8],
      [second, 4],
    ]);
    expect(harness.sleeps).toEqual([]);
  });

  it('waits for the slot when the job published less than an interval ago, then publishes the latest state', async () => {
    const harness = await jobHarness();
    harness.ports.clock.advance(100); // job.created's view went out 100 ms ago

    await harness.history([labeled(FIRST_JOB_ID, 0, 2)]);

    expect(harness.sleeps).toHaveLength(1);
    expect(harness.sleeps[0]).toBeGreaterThan(INTERVAL_MS - 110);
    expect(harness.sleeps[0]).toBeLessThanOrEqual(INTERVAL_MS - 100);
    expect(versionsOf(harness.progressed())).toEqual([1, 2]);
  });

  it('two handlers side by side for one job: one claims the slot and publishes a view with both their events', async () => {
    const harness = await jobHarness();
    harness.ports.clock.advance(1000);

    const responses = await Promise.all([harness.history([labeled(FIRST_JOB_ID, 0, 2)]), harness.history([labeled(FIRST_JOB_ID, 1, 2)])]);

    expect(responses).toMatchObject([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    const final = (await getJob(harness, FIRST_JOB_ID)).json;
    expect(final.version).toBe(3);
    expect(harness.progressed()).toEqual([expect.objectContaining({ version: 1 }), final]);
    expect(await summaryVersion(harness)).toBe(3);
  });

  it('fails the batch when the progress cannot be published, and the retry publishes it', async () => {
    const harness = await jobHarness();
    harness.ports.clock.advance(1000);
    harness.ports.publisher.failWith = new Error('bus down');

    const failed = await harness.history([labeled(FIRST_JOB_ID, 0, 2), labeled(FIRST_JOB_ID, 1, 2)]);
    expect(failed).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'message-1' }, { itemIdentifier: 'message-2' }] });

    harness.ports.publisher.failWith = undefined;
    harness.ports.clock.advance(1000);
    expect(await harness.history([labeled(FIRST_JOB_ID, 0, 2), labeled(FIRST_JOB_ID, 1, 2)], { receiveCount: 2 })).toMatchObject({
      batchItemFailures: [],
    });
    expect(harness.progressed()[harness.progressed().length - 1]).toEqual((await getJob(harness, FIRST_JOB_ID)).json);
  });
});

/** A table that runs `before` once, just before the first update whose condition names `claims` (a slot claim). */
class ClaimHookTable implements Table {
  private fired = false;
  constructor(
    private readonly inner: Table,
    private readonly before: () => Promise<unknown>,
  ) {}

  get(key: ItemKey) {
    return this.inner.get(key);
  }
  put(item: Item, options?: { condition?: Condition }) {
    return this.inner.put(item, options);
  }
  async update(key: ItemKey, update: ItemUpdate, options?: { condition?: Condition }) {
    if (!this.fired && update.set && 'claims' in update.set) {
      this.fired = true;
      await this.before();
    }
    return this.inner.update(key, update, options);
  }
  delete(key: ItemKey, options?: { condition?: Condition }) {
    return this.inner.delete(key, options);
  }
  batchPut(items: readonly Item[]) {
    return this.inner.batchPut(items);
  }
  transact(writes: readonly TransactWrite[]) {
    return this.inner.transact(writes);
  }
  query(pk: string, options?: QueryOptions) {
    return this.inner.query(pk, options);
  }
}

/** A publisher that holds what it is given until released, then hands it to `target`. */
class GatedPublisher implements EventPublisher {
  private release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));
  private arrived!: () => void;
  /** Resolves once something waits at the gate. */
  readonly reached = new Promise<void>((resolve) => (this.arrived = resolve));

  constructor(private readonly target: EventPublisher) {}

  async publish(entries: readonly PublishEntry[]): Promise<void> {
    this.arrived();
    await this.gate;
    await this.target.publish(entries);
  }

  open(): void {
    this.release();
  }
}

describe('JobProgress: who publishes when handlers race for the slot', () => {
  const JOB = 'job_RACE000001';
  let ports: TestPorts;
  let table: Table;
  let history: JobHistory;
  let sleeps: number[];

  beforeEach(async () => {
    ports = createTestPorts();
    table = ports.table('ingest-jobs');
    history = new JobHistory(table);
    sleeps = [];
    const created = createEvent(jobCreatedV1, {
      service: 'ingest',
      metadata: {
        eventId: deriveEventId(JOB, 'created'),
        tenantId: 'acme',
        jobId: JOB,
        correlationId: 'request-1',
        causationId: 'request-1',
        occurredAt: ports.clock.now().toISOString(),
      },
      data: jobCreatedV1.example,
    });
    await history.append(created);
    ports.clock.advance(1000);
  });
  afterEach(() => ports.cleanup());

  function progress(overrides: { table?: Table; publisher?: EventPublisher } = {}): JobProgress {
    return new JobProgress({
      table: overrides.table ?? table,
      history,
      publisher: overrides.publisher ?? ports.publisher,
      clock: ports.clock,
      sleep: fakeSleep(ports.clock, sleeps),
      intervalMs: INTERVAL_MS,
      logger: silentLogger,
    });
  }

  async function recordChunk(index: number): Promise<void> {
    const body = JSON.parse(labeled(JOB, index, 3));
    await history.append({ type: 'chunk.labeled.v1', source: body.source, metadata: body.detail.metadata, data: body.detail.data });
  }

  async function finalView(): Promise<JobViewData> {
    return publicJobView(foldJobState(JOB, await history.load(JOB))!);
  }

  function published(): JobViewData[] {
    return ports.publisher.ofType('job.progressed.v1').map((event) => event.data.job);
  }

  it('is done when the slot was claimed after its events were recorded: that claimer read them', async () => {
    await recordChunk(0);
    const other = progress();
    let otherOutcome: string | undefined;
    // Another handler claims the slot between this one's read of the summary and its own claim.
    const racing = progress({ table: new ClaimHookTable(table, async () => (otherOutcome = await other.publishLatest('acme', JOB))) });

    const outcome = await racing.publishLatest('acme', JOB);

    expect(otherOutcome).toBe('published');
    expect(outcome).toBe('covered');
    expect(published()).toEqual([await finalView()]);
    expect(published()[0]?.chunks.done).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('waits and publishes when the slot was claimed before its events were recorded (the claimer read an older history)', async () => {
    const gated = new GatedPublisher(ports.publisher);
    const claimer = progress({ publisher: gated });
    // The claimer claims the slot and folds the history (no chunk yet), then is slow to publish.
    const claiming = claimer.publishLatest('acme', JOB);
    await gated.reached;

    await recordChunk(0);
    const outcome = await progress().publishLatest('acme', JOB);

    expect(outcome).toBe('published');
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(0);
    expect(sleeps[0]).toBeLessThanOrEqual(INTERVAL_MS);
    const latest = await finalView();
    expect(published()).toEqual([latest]);
    expect(latest).toMatchObject({ version: 2, chunks: { done: 1 } });

    // The slow claimer's older view goes out late, but the summary keeps the newer one: versions never go down.
    gated.open();
    expect(await claiming).toBe('published');
    expect(versionsOf(published())).toEqual([2, 1]);
    const summary = await table.get(summaryKey('acme', JOB));
    expect(summary).toMatchObject({ version: 2, view: latest });
  });

  it('never lowers the summary: a claimer that finds its version already there publishes nothing', async () => {
    await recordChunk(0);
    expect(await progress().publishLatest('acme', JOB)).toBe('published');
    ports.clock.advance(1000);

    expect(await progress().publishLatest('acme', JOB)).toBe('unchanged');

    expect(versionsOf(published())).toEqual([2]);
    expect(await table.get(summaryKey('acme', JOB))).toMatchObject({ version: 2, claims: 2 });
  });

  it("gives a batch's failure back to be retried, said in an error line; a machine fault (a full data dir) is rethrown and not said", async () => {
    const errors: string[] = [];
    const logger = { ...silentLogger, error: (_fields: unknown, message: string) => errors.push(message) } as unknown as Logger;
    const failing = (error: Error) =>
      progress({
        publisher: {
          publish: async () => {
            throw error;
          },
        },
      });
    const messages = [{ tenantId: 'acme', jobId: JOB, messageId: 'm-1' }];

    await expect(failing(new Error('EventBridge is down')).publishForBatch(messages, logger)).resolves.toEqual(['m-1']);
    expect(errors).toEqual(["could not publish the job's progress; its messages will be retried"]);

    errors.length = 0;
    const fault = new MachineFaultError('no space left in the data dir');
    await expect(failing(new Error('publishing failed', { cause: fault })).publishForBatch(messages, logger)).rejects.toThrow('publishing failed');
    expect(errors).toEqual([]);
  });
});
