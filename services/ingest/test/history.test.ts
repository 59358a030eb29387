import type { Table, TransactWrite } from '@refinery/ports';
import { createHarness, FIRST_JOB_ID, fixture, getJob, type IngestHarness, postCsv, recordingTransactions, sampleFile } from './helpers';

const CONTACTS = sampleFile('contacts.csv');
const PLANNED = fixture('job-planned.json');
const LABELED_0 = fixture('chunk-labeled-0.json');
const RELABELED_0 = fixture('chunk-labeled-0-relabeled.json');
const LABELED_1 = fixture('chunk-labeled-1.json');
const STAGE_FAILED = fixture('stage-failed.json');
const FAILED = fixture('job-failed.json');
const COMPLETED = fixture('job-completed.json');

const ACCEPTED_VIEW = {
  jobId: FIRST_JOB_ID,
  status: 'accepted',
  filename: 'contacts.csv',
  rows: { total: 0, done: 0, matched: 0, unmatched: 0, invalid: 0 },
  byMethod: { exact: 0, fuzzy: 0, nickname: 0 },
  chunks: { total: 0, done: 0 },
  createdAt: '2026-11-28T12:00:00.000Z',
  completedAt: null,
  error: null,
  version: 1,
};

const COMPLETED_VIEW = {
  ...ACCEPTED_VIEW,
  status: 'completed',
  rows: { total: 5, done: 5, matched: 3, unmatched: 1, invalid: 1 },
  byMethod: { exact: 1, fuzzy: 1, nickname: 1 },
  chunks: { total: 2, done: 2 },
  completedAt: '2026-11-28T12:10:00.000Z',
  // job.created, job.planned, two chunk.labeled, job.completed
  version: 5,
};

describe('ingest history subscription and the job state', () => {
  const harnesses: IngestHarness[] = [];

  /** A fresh ingest with job_TEST000001 created by acme from contacts.csv. */
  async function jobHarness(jobsTable?: (table: Table) => Table): Promise<IngestHarness> {
    const harness = createHarness({}, jobsTable);
    harnesses.push(harness);
    const created = await postCsv(harness, CONTACTS, { query: { filename: 'contacts.csv' } });
    expect(created.json.jobId).toBe(FIRST_JOB_ID);
    return harness;
  }

  async function view(harness: IngestHarness): Promise<unknown> {
    const answer = await getJob(harness, FIRST_JOB_ID);
    expect(answer.status).toBe(200);
    return answer.json;
  }

  async function historyTypes(harness: IngestHarness): Promise<string[]> {
    return (await getJob(harness, FIRST_JOB_ID, '/events')).json.events.map((event: { type: string }) => event.type);
  }

  afterEach(() => {
    for (const harness of harnesses.splice(0)) harness.ports.cleanup();
  });

  /** Deletes what the versions before job summaries did not write: the summary, its chunk and decision items. */
  async function dropSummary(harness: IngestHarness) {
    const table = harness.ports.table('ingest-jobs');
    const pk = `job#${FIRST_JOB_ID}`;
    for (const item of (await table.query(pk)).items) {
      if (/^(state$|chunk#|decision#)/.test(item.sk)) await table.delete({ pk, sk: item.sk });
    }
    return { table, pk };
  }

  /** Rewrites the job's partition as the earlier version stored it: each event whole under its id, no places, no format item. */
  async function storeAsEarlierFormat(harness: IngestHarness) {
    const { table, pk } = await dropSummary(harness);
    for (const item of (await table.query(pk, { beginsWith: 'at#' })).items) {
      const { sk, ...event } = item;
      await table.put({ ...event, pk, sk: `event#${(item.metadata as { eventId: string }).eventId}` });
      await table.delete({ pk, sk });
    }
    await table.delete({ pk, sk: 'format' });
    return { table, pk };
  }

  it('appends an event once however often it is delivered (same batch, or again later)', async () => {
    const harness = await jobHarness();

    expect(await harness.history([PLANNED, PLANNED])).toMatchObject({ batchItemFailures: [] });
    expect(await harness.history([PLANNED], { receiveCount: 2 })).toMatchObject({ batchItemFailures: [] });

    expect(await historyTypes(harness)).toEqual(['job.created.v1', 'job.planned.v1']);
    const planned = JSON.parse(PLANNED).detail;
    const [, stored] = (await getJob(harness, FIRST_JOB_ID, '/events')).json.events;
    expect(stored).toEqual({ id: planned.metadata.eventId, type: 'job.planned.v1', occurredAt: planned.metadata.occurredAt, data: planned.data });
    // Appending publishes no pipeline event (only the job's progress: job-progress.test.ts).
    expect(harness.publishedTypes()).toEqual(['job.created.v1']);
  });

  /** A harness whose job table records its transactions; `transactions` holds those since the job's creation. */
  async function countingHarness(): Promise<{ harness: IngestHarness; transactions: TransactWrite[][] }> {
    let recorded: TransactWrite[][] = [];
    const harness = await jobHarness((table) => {
      const recording = recordingTransactions(table);
      recorded = recording.transactions;
      return recording.table;
    });
    recorded.splice(0);
    return { harness, transactions: recorded };
  }

  /** The event ids a transaction marks as recorded. */
  const markedIds = (writes: readonly TransactWrite[]) =>
    writes.flatMap((write) => (write.kind === 'put' && write.item.sk.startsWith('event#') ? [write.item.sk.slice('event#'.length)] : []));
  const eventIdOf = (body: string): string => JSON.parse(body).detail.metadata.eventId;

  it("records a delivery's events of one job in one transaction: one read of its summary, one write of it", async () => {
    const { harness, transactions } = await countingHarness();

    expect(await harness.history([PLANNED, LABELED_0, LABELED_1, COMPLETED])).toMatchObject({ batchItemFailures: [] });

    expect(transactions.map(markedIds)).toEqual([[PLANNED, LABELED_0, LABELED_1, COMPLETED].map(eventIdOf)]);
    // Each event's marker and history item, each chunk's item, and the summary once.
    expect(transactions[0]).toHaveLength(4 * 2 + 2 + 1);
    expect(await view(harness)).toEqual(COMPLETED_VIEW);
  });

  it('records the rest of a delivery that holds an event already recorded, counting that one once', async () => {
    const { harness, transactions } = await countingHarness();
    await harness.history([LABELED_0]);
    transactions.splice(0);

    expect(await harness.history([PLANNED, LABELED_0, LABELED_1], { receiveCount: 2 })).toMatchObject({ batchItemFailures: [] });

    // The first transaction is refused on chunk 0's marker; the second records the other two.
    expect(transactions.map(markedIds)).toEqual([[PLANNED, LABELED_0, LABELED_1].map(eventIdOf), [PLANNED, LABELED_1].map(eventIdOf)]);
    expect(await historyTypes(harness)).toEqual(['job.created.v1', 'job.planned.v1', 'chunk.labeled.v1', 'chunk.labeled.v1']);
    expect(await view(harness)).toMatchObject({ rows: { total: 5, done: 5 }, chunks: { total: 2, done: 2 }, version: 4 });
  });

  it('fails only the event of a delivery that cannot be stored, and records the others', async () => {
    const harness = await jobHarness();
    // Larger than an item may be (400 KB): it stands for any event whose writes the table refuses.
    const oversized = JSON.parse(FAILED);
    oversized.detail.data.reason = 'x'.repeat(450 * 1024);

    const response = await harness.history([PLANNED, LABELED_0, JSON.stringify(oversized), LABELED_1]);

    expect(response).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'message-3' }] });
    expect(await historyTypes(harness)).toEqual(['job.created.v1', 'job.planned.v1', 'chunk.labeled.v1', 'chunk.labeled.v1']);
    expect(await view(harness)).toMatchObject({ status: 'running', rows: { total: 5, done: 5 }, chunks: { total: 2, done: 2 }, version: 4 });
  });

  it('keeps a re-created event (same id, later occurredAt) once, at its first place in history', async () => {
    const harness = await jobHarness();
    await harness.history([PLANNED]);
    const recreated = JSON.parse(PLANNED);
    recreated.detail.metadata.occurredAt = '2026-11-28T13:00:00.000Z';
    await harness.history([JSON.stringify(recreated), LABELED_0]);

    const events = (await getJob(harness, FIRST_JOB_ID, '/events')).json.events;
    expect(events.map((event: { type: string; occurredAt: string }) => [event.type, event.occurredAt])).toEqual([
      ['job.created.v1', '2026-11-28T12:00:00.000Z'],
      ['job.planned.v1', JSON.parse(PLANNED).detail.metadata.occurredAt],
      ['chunk.labeled.v1', '2026-11-28T12:01:00.000Z'],
    ]);
  });

  it('writes an event the previous version left half-stored (its id marked, the event missing after a crash) when it is delivered again', async () => {
    const harness = await jobHarness();
    await harness.history([PLANNED]);
    // The previous version wrote the marker, then the event, and no summary: it could stop between the two.
    const { table, pk } = await dropSummary(harness);
    const stored = (await table.query(pk, { beginsWith: 'at#' })).items.find((item) => item.type === 'job.planned.v1');
    if (!stored) throw new Error('job.planned.v1 was not stored');
    await table.delete({ pk: stored.pk, sk: stored.sk });
    expect(await historyTypes(harness)).toEqual(['job.created.v1']);
    expect(await view(harness)).toEqual(ACCEPTED_VIEW);

    await harness.history([PLANNED], { receiveCount: 2 });
    expect(await historyTypes(harness)).toEqual(['job.created.v1', 'job.planned.v1']);
    expect(await view(harness)).toMatchObject({ status: 'running', rows: { total: 5 }, chunks: { total: 2 }, version: 2 });
    await harness.history([PLANNED], { receiveCount: 3 });
    expect(await view(harness)).toMatchObject({ version: 2 });
  });

  it('reads a job recorded before job summaries (its history, no summary) as before, builds the summary once, then adds to it', async () => {
    const harness = await jobHarness();
    await harness.history([PLANNED, LABELED_0, RELABELED_0]);
    const before = await view(harness);
    const { table, pk } = await dropSummary(harness);
    expect(await table.get({ pk, sk: 'state' })).toBeUndefined();

    expect(await view(harness)).toEqual(before);
    expect(await table.get({ pk, sk: 'state' })).toMatchObject({ version: 4 }); // created, planned, two events of chunk 0;
    expect((await table.query(pk, { beginsWith: 'chunk#' })).items).toHaveLength(1);
    // Redeliveries of what it held count nothing; new events count once.
    await harness.history([LABELED_0, PLANNED, LABELED_1, COMPLETED], { receiveCount: 2 });
    expect(await view(harness)).toEqual({ ...COMPLETED_VIEW, version: 6 }); // the relabel is an event of its own
  });

  it('reads a history stored by the earlier format (each event whole under its id) after an upgrade, and keeps adding to it', async () => {
    const harness = await jobHarness();
    await harness.history([PLANNED, LABELED_0]);
    const before = { view: await view(harness), events: (await getJob(harness, FIRST_JOB_ID, '/events')).json.events };
    const { table, pk } = await storeAsEarlierFormat(harness);
    expect((await table.query(pk, { beginsWith: 'at#' })).items).toEqual([]);

    expect(await view(harness)).toEqual(before.view);
    expect((await getJob(harness, FIRST_JOB_ID, '/events')).json.events).toEqual(before.events);
    // Upgraded once: the places are written, the job marked, a redelivery still counts once, a new event is added.
    expect((await table.query(pk, { beginsWith: 'at#' })).items).toHaveLength(3);
    expect(await table.get({ pk, sk: 'format' })).toMatchObject({ version: 2 });
    await harness.history([PLANNED, LABELED_1], { receiveCount: 2 });
    expect(await historyTypes(harness)).toEqual(['job.created.v1', 'job.planned.v1', 'chunk.labeled.v1', 'chunk.labeled.v1']);
  });

  it('reads an earlier-format history that a delivery reached before any read (a redelivered event keeps its first place)', async () => {
    const harness = await jobHarness();
    await harness.history([PLANNED]);
    await storeAsEarlierFormat(harness);
    const recreated = JSON.parse(PLANNED);
    recreated.detail.metadata.occurredAt = '2026-11-28T13:00:00.000Z';
    await harness.history([JSON.stringify(recreated), LABELED_0]);

    const events = (await getJob(harness, FIRST_JOB_ID, '/events')).json.events;
    expect(events.map((event: { type: string; occurredAt: string }) => [event.type, event.occurredAt])).toEqual([
      ['job.created.v1', '2026-11-28T12:00:00.000Z'],
      ['job.planned.v1', JSON.parse(PLANNED).detail.metadata.occurredAt],
      ['chunk.labeled.v1', '2026-11-28T12:01:00.000Z'],
    ]);
  });

  it('folds the history: accepted -> running (job.planned) -> progress per labeled chunk -> completed', async () => {
    const harness = await jobHarness();
    expect(await view(harness)).toEqual(ACCEPTED_VIEW);

    await harness.history([PLANNED]);
    expect(await view(harness)).toEqual({
      ...ACCEPTED_VIEW,
      status: 'running',
      rows: { ...ACCEPTED_VIEW.rows, total: 5 },
      chunks: { total: 2, done: 0 },
      version: 2,
    });

    await harness.history([LABELED_0]);
    const afterFirstChunk = {
      ...ACCEPTED_VIEW,
      status: 'running',
      rows: { total: 5, done: 3, matched: 2, unmatched: 1, invalid: 0 },
      byMethod: { exact: 1, fuzzy: 1, nickname: 0 },
      chunks: { total: 2, done: 1 },
      version: 3,
    };
    expect(await view(harness)).toEqual(afterFirstChunk);

    await harness.history([LABELED_1]);
    // Every chunk labeled is not yet completed: only the merger's job.completed.v1 says so.
    expect(await view(harness)).toEqual({
      ...afterFirstChunk,
      rows: { total: 5, done: 5, matched: 3, unmatched: 1, invalid: 1 },
      byMethod: { exact: 1, fuzzy: 1, nickname: 1 },
      chunks: { total: 2, done: 2 },
      version: 4,
    });

    await harness.history([COMPLETED]);
    expect(await view(harness)).toEqual(COMPLETED_VIEW);
  });

  it("counts the job's end once, with its duration and rows, however often job.completed.v1 is delivered", async () => {
    const harness = await jobHarness();
    // Delivered twice in one batch, and once more later.
    await harness.history([PLANNED, LABELED_0, COMPLETED, LABELED_1, COMPLETED]);
    await harness.history([COMPLETED]);

    expect(harness.metrics.of('jobsEnded')).toEqual([{ name: 'jobsEnded', value: 1, dimensions: { outcome: 'completed' } }]);
    // Created at 12:00, completed at 12:10.
    expect(harness.metrics.of('jobDuration')).toEqual([{ name: 'jobDuration', value: 600, dimensions: { outcome: 'completed' } }]);
    expect(harness.metrics.of('jobRows')).toEqual([{ name: 'jobRows', value: 5, dimensions: { outcome: 'completed' } }]);
  });

  it('counts a failed job as failed', async () => {
    const harness = await jobHarness();
    await harness.history([PLANNED, FAILED]);
    expect(harness.metrics.of('jobsEnded')).toEqual([{ name: 'jobsEnded', value: 1, dimensions: { outcome: 'failed' } }]);
    expect(harness.metrics.total('jobRows', { outcome: 'failed' })).toBe(5);
  });

  it('counts a chunk once: a duplicate delivery is stored once, a relabel of the same chunk does not add rows', async () => {
    const harness = await jobHarness();

    await harness.history([PLANNED, LABELED_0, LABELED_0]);
    await harness.history([RELABELED_0], { receiveCount: 1 });

    expect(await historyTypes(harness)).toEqual(['job.created.v1', 'job.planned.v1', 'chunk.labeled.v1', 'chunk.labeled.v1']);
    expect(await view(harness)).toMatchObject({ rows: { total: 5, done: 3, matched: 2, unmatched: 1, invalid: 0 }, chunks: { total: 2, done: 1 } });
  });

  it('reaches the same state whatever order the events arrive in', async () => {
    const inOrder = await jobHarness();
    const reversed = await jobHarness();
    const shuffled = await jobHarness();

    await inOrder.history([PLANNED, LABELED_0, LABELED_1]);
    await reversed.history([LABELED_1, LABELED_0, PLANNED]);
    await shuffled.history([LABELED_1]);
    await shuffled.history([LABELED_0, LABELED_1]);
    await shuffled.history([PLANNED, LABELED_0]);

    const running = await view(inOrder);
    expect(running).toMatchObject({ status: 'running', rows: { total: 5, done: 5 }, chunks: { total: 2, done: 2 } });
    expect(await view(reversed)).toEqual(running);
    expect(await view(shuffled)).toEqual(running);

    await inOrder.history([COMPLETED]);
    await reversed.history([COMPLETED]);
    await shuffled.history([COMPLETED]);
    for (const harness of [inOrder, reversed, shuffled]) expect(await view(harness)).toEqual(COMPLETED_VIEW);
  });

  it('shows a chunk labeled before job.planned arrives as running, with the chunk count it names', async () => {
    const harness = await jobHarness();

    await harness.history([LABELED_1]);

    expect(await view(harness)).toMatchObject({
      status: 'running',
      rows: { total: 0, done: 2, matched: 1, unmatched: 0, invalid: 1 },
      chunks: { total: 2, done: 1 },
    });
  });

  it('keeps stage.failed.v1 in the history without changing the status; job.failed.v1 fails the job with its reason', async () => {
    const harness = await jobHarness();
    await harness.history([PLANNED, LABELED_0, STAGE_FAILED]);

    expect(await historyTypes(harness)).toEqual(['job.created.v1', 'job.planned.v1', 'chunk.labeled.v1', 'stage.failed.v1']);
    expect(await view(harness)).toMatchObject({ status: 'running', error: null });

    await harness.history([FAILED]);

    expect(await view(harness)).toEqual({
      ...ACCEPTED_VIEW,
      status: 'failed',
      rows: { total: 5, done: 3, matched: 2, unmatched: 1, invalid: 0 },
      byMethod: { exact: 1, fuzzy: 1, nickname: 0 },
      chunks: { total: 2, done: 1 },
      completedAt: '2026-11-28T12:03:00.000Z',
      version: 5,
      error: {
        reason: 'matcher gave up on chunk 2 (rows 4-5) after 5 attempts: directory provider unavailable: connect ECONNREFUSED 10.0.0.7:443',
        rows: { first: 3, count: 2 },
      },
    });
  });

  it('reads completed after a failure that was redriven to completion, in either arrival order', async () => {
    const failedFirst = await jobHarness();
    const completedFirst = await jobHarness();

    await failedFirst.history([PLANNED, LABELED_0, STAGE_FAILED, FAILED]);
    expect(await view(failedFirst)).toMatchObject({ status: 'failed' });
    await failedFirst.history([LABELED_1, COMPLETED]);
    await completedFirst.history([COMPLETED, LABELED_1, LABELED_0, PLANNED]);
    await completedFirst.history([FAILED, STAGE_FAILED]);

    // Seven events each: the failure stays in the history.
    expect(await view(failedFirst)).toEqual({ ...COMPLETED_VIEW, version: 7 });
    expect(await view(completedFirst)).toEqual({ ...COMPLETED_VIEW, version: 7 });
  });

  it('drops fields it does not know (additive changes keep the version)', async () => {
    const harness = await jobHarness();
    const withExtra = JSON.parse(PLANNED);
    withExtra.detail.data.addedInALaterRelease = { anything: true };
    withExtra.detail.metadata.traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

    expect(await harness.history([JSON.stringify(withExtra)])).toMatchObject({ batchItemFailures: [] });

    const [, stored] = (await getJob(harness, FIRST_JOB_ID, '/events')).json.events;
    expect(stored.data).toEqual(JSON.parse(PLANNED).detail.data);
    expect(await view(harness)).toMatchObject({ status: 'running', rows: { total: 5 } });
  });

  it('keeps messages it cannot read (not JSON, unknown type, invalid detail) as batch item failures, and still appends the rest', async () => {
    const harness = await jobHarness();
    const unknownType = JSON.parse(PLANNED);
    unknownType['detail-type'] = 'job.exploded.v1';
    const invalidDetail = JSON.parse(LABELED_0);
    delete invalidDetail.detail.data.counts;

    const response = await harness.history(['{"truncated', JSON.stringify(unknownType), PLANNED, JSON.stringify(invalidDetail)]);

    expect(response).toMatchObject({
      batchItemFailures: [{ itemIdentifier: 'message-1' }, { itemIdentifier: 'message-2' }, { itemIdentifier: 'message-4' }],
    });
    expect(await historyTypes(harness)).toEqual(['job.created.v1', 'job.planned.v1']);
    expect(harness.publishedTypes()).toEqual(['job.created.v1']);
  });
});
