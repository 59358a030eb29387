import type { DomainEvent } from '@refinery/events';
import { MAX_TRANSACT_WRITES, type Table } from '@refinery/ports';
import { MachineFaultError } from '@refinery/runtime';
import { createTestPorts, type TestPorts } from '@refinery/test-support';
import { JobHistory } from '../src/domain/job-history';
import { recordingTransactions } from './helpers';
import { foldWithDecisions } from './reference-fold';

// A job's summary, kept up to date one event at a time, against the fold of its whole history (the way job states
// were computed before, kept as the reference in reference-fold.ts). Random histories — out of order, with
// redeliveries, re-created events (same id, later time), other events of a chunk already labeled, failures and
// completions in both orders, review decisions replacing each other — delivered one by one and side by side, must
// leave a summary whose state deep-equals the fold of what the history holds.

const JOB = 'job_SUMMARY0001';
const TENANT = 'acme';
const RUNS = 120;

/** mulberry32: a small seeded generator, so a failing run can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Scenario {
  /** Distinct events (by id). */
  readonly events: DomainEvent[];
  /** What is delivered, in order, in groups delivered side by side. */
  readonly deliveries: DomainEvent[][];
}

function scenario(seed: number): Scenario {
  const next = random(seed);
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const chance = (p: number) => next() < p;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  // Few distinct instants, so events of the same millisecond (ordered by pipeline order, then id) are common.
  const at = () => new Date(Date.UTC(2026, 10, 28, 12, int(0, 6))).toISOString();
  let serial = 0;
  const event = (type: string, data: unknown, eventId = `evt_${type}_${(serial += 1)}`): DomainEvent =>
    ({
      type,
      source: 'refinery.test',
      metadata: { eventId, tenantId: TENANT, jobId: JOB, correlationId: 'req_1', causationId: 'req_1', occurredAt: at() },
      data,
    }) as DomainEvent;
  const counts = () => {
    const exact = int(0, 3);
    const fuzzy = int(0, 3);
    const nickname = int(0, 2);
    return {
      matched: exact + fuzzy + nickname,
      unmatched: int(0, 4),
      invalid: int(0, 2),
      ...(chance(0.3) ? { review: int(1, 3) } : {}),
      byMethod: { exact, fuzzy, nickname },
    };
  };

  const chunks = int(1, 4);
  const events: DomainEvent[] = [
    event('job.created.v1', { filename: 'contacts.csv', upload: 'body', input: { bucket: 'uploads', key: `in/${JOB}.csv` }, options: {} }),
  ];
  if (chance(0.7))
    events.push(event('job.submitted.v1', { filename: 'contacts.csv', input: { bucket: 'uploads', key: 'in', sizeBytes: 10 }, options: {} }));
  const plans = chance(0.8) ? int(1, 2) : 0;
  for (let plan = 0; plan < plans; plan += 1)
    events.push(event('job.planned.v1', { rows: { total: int(0, 40) }, chunks: { total: chance(0.8) ? chunks : int(1, 5) } }));
  for (let index = 0; index < chunks; index += 1) {
    // Labeled or not; sometimes by more than one event (a chunk redriven under a new id), maybe with other counts.
    const times = chance(0.8) ? (chance(0.25) ? int(2, 3) : 1) : 0;
    for (let time = 0; time < times; time += 1) {
      events.push(
        event('chunk.labeled.v1', {
          chunk: { index, count: chance(0.85) ? chunks : int(1, 6) },
          rows: { first: index * 10, count: int(1, 10) },
          result: { bucket: 'labeled', key: `c${index}` },
          counts: counts(),
        }),
      );
    }
  }
  const outcomes = chance(0.7) ? int(1, 3) : 0;
  for (let outcome = 0; outcome < outcomes; outcome += 1) {
    if (chance(0.5)) {
      events.push(event('job.failed.v1', { reason: `failed ${outcome}`, ...(chance(0.5) ? { rows: { first: int(0, 9), count: int(1, 5) } } : {}) }));
    } else {
      const { matched, unmatched, invalid, byMethod } = counts();
      events.push(
        event('job.completed.v1', {
          result: { bucket: 'results', key: `result-${outcome}.csv`, sizeBytes: 10, contentType: 'text/csv' },
          rows: { total: matched + unmatched + invalid, matched, unmatched, invalid },
          byMethod,
          chunks: { total: chunks },
          ...(chance(0.6) ? { review: { items: { bucket: 'results', key: `review-${outcome}.ndjson` }, count: int(1, 5) } } : {}),
        }),
      );
    }
  }
  if (chance(0.4)) events.push(event('stage.failed.v1', { service: 'matcher', subscription: 'chunks', eventType: 'chunk.planned.v1', eventId: 'x' }));
  // Decisions: version v has one event id (derived from the version, as the review route derives it); rows repeat.
  const decisions = chance(0.5) ? int(1, 6) : 0;
  for (let version = 1; version <= decisions; version += 1) {
    events.push(
      event(
        'review.decided.v1',
        {
          row: int(0, 3),
          decision: pick(['accept', 'reject']),
          version,
          candidateId: `cand_${version}`,
          method: 'fuzzy',
          score: 0.8,
          contact: { email: `row${version}@example.com` },
          candidate: { email: `cand${version}@example.com` },
          comparison: { levels: [1, 0, -1], namesSwapped: false },
        },
        `evt_decision_v${version}`,
      ),
    );
  }

  // Arbitrary order; then redeliveries of the same event, some re-created later (same id, later occurredAt).
  const shuffled = [...events].sort(() => next() - 0.5);
  const sends: DomainEvent[] = [];
  for (const sent of shuffled) {
    sends.push(sent);
    if (chance(0.3)) {
      const again = chance(0.5)
        ? sent
        : ({
            ...sent,
            metadata: { ...sent.metadata, occurredAt: new Date(Date.parse(sent.metadata.occurredAt) + 3_600_000).toISOString() },
          } as DomainEvent);
      sends.splice(int(0, sends.length), 0, again);
    }
  }
  const deliveries: DomainEvent[][] = [];
  for (let start = 0; start < sends.length; ) {
    const size = chance(0.3) ? int(2, 3) : 1;
    deliveries.push(sends.slice(start, start + size));
    start += size;
  }
  return { events, deliveries };
}

let ports: TestPorts;
let table: Table;
let history: JobHistory;

beforeEach(() => {
  ports = createTestPorts();
  table = ports.table('ingest-jobs');
  history = new JobHistory(table);
});
afterEach(() => ports.cleanup());

async function deliver(deliveries: readonly DomainEvent[][]): Promise<void> {
  for (const group of deliveries) await Promise.all(group.map((event) => history.append(event)));
}

/**
 * The same sends as deliveries of up to ten events (SQS batches, each recorded with appendAll), two side by side, as
 * two history invocations at once receive them.
 */
async function deliverInBatches(deliveries: readonly DomainEvent[][], seed: number): Promise<void> {
  const next = random(seed + 1_000);
  const sends = deliveries.flat();
  const batches: DomainEvent[][] = [];
  for (let start = 0; start < sends.length; ) {
    const size = 1 + Math.floor(next() * 10);
    batches.push(sends.slice(start, start + size));
    start += size;
  }
  for (let index = 0; index < batches.length; index += 2) {
    const outcomes = (await Promise.all(batches.slice(index, index + 2).map((batch) => history.appendAll(batch)))).flat();
    expect(outcomes.filter((outcome) => 'error' in outcome)).toEqual([]);
  }
}

/** The summary's state and decisions, and the fold's of the history as stored. */
async function bothWays() {
  const fold = foldWithDecisions(JOB, await history.load(JOB));
  const decisions = new Map([...(await history.decisions(JOB))].map(([row, { decision, version }]) => [row, { decision, version }]));
  return {
    summary: { state: (await history.current(JOB))?.state, decisions },
    fold: { state: fold?.state, decisions: fold?.decisions ?? new Map() },
  };
}

it(`keeps the same state as the fold of the whole history, over ${RUNS} random histories delivered out of order and again`, async () => {
  for (let seed = 1; seed <= RUNS; seed += 1) {
    await deliver(scenario(seed).deliveries);
    const { summary, fold } = await bothWays();
    try {
      expect(summary).toEqual(fold);
    } catch (error) {
      throw new Error(`seed ${seed}: ${(error as Error).message}`);
    }
    // A fresh job for the next seed.
    for (const item of (await table.query(history.partitionOf(JOB), { limit: 10_000 })).items) await table.delete(item);
  }
}, 60_000);

it(`keeps the same state as the fold when the ${RUNS} histories arrive in batches (one transaction per job and batch), two batches at once`, async () => {
  for (let seed = 1; seed <= RUNS; seed += 1) {
    const { events, deliveries } = scenario(seed);
    await deliverInBatches(deliveries, seed);
    const { summary, fold } = await bothWays();
    try {
      expect(summary).toEqual(fold);
      expect(summary.state?.version).toBe(new Set(events.map((event) => event.metadata.eventId)).size);
    } catch (error) {
      throw new Error(`seed ${seed}: ${(error as Error).message}`);
    }
    for (const item of (await table.query(history.partitionOf(JOB), { limit: 10_000 })).items) await table.delete(item);
  }
}, 60_000);

/** `count` chunk.labeled.v1 of distinct chunks of the job created by `created`, chunk i with i + 1 rows. */
function labeledChunks(created: DomainEvent, count: number): DomainEvent[] {
  return Array.from(
    { length: count },
    (_, index) =>
      ({
        type: 'chunk.labeled.v1',
        source: 'refinery.labeler',
        metadata: {
          ...created.metadata,
          eventId: `evt_chunk_${index}`,
          occurredAt: `2026-11-28T12:${String(10 + (index % 40)).padStart(2, '0')}:00.000Z`,
        },
        data: {
          chunk: { index, count },
          rows: { first: index * 100, count: index + 1 },
          result: { bucket: 'b', key: `c${index}` },
          counts: { matched: index + 1, unmatched: 0, invalid: 0, byMethod: { exact: index + 1, fuzzy: 0, nickname: 0 } },
        },
      }) as DomainEvent,
  );
}

it('counts every chunk exactly once when batches of the same job, some delivered again, are recorded at once', async () => {
  const created = scenario(1).events[0] as DomainEvent;
  await history.append(created);
  const chunks = labeledChunks(created, 60);
  // Ten batches of ten: each chunk twice, in batches of different invocations, all of them at once.
  const batches = Array.from({ length: 10 }, (_, batch) => [
    ...chunks.slice((batch % 6) * 10, (batch % 6) * 10 + 5),
    ...chunks.slice(((batch + 3) % 6) * 10 + 5, ((batch + 3) % 6) * 10 + 10),
  ]);
  batches.push(chunks.slice(0, 5), chunks.slice(35, 40));
  const delivered = new Set(batches.flat());
  expect(delivered.size).toBe(60);

  const outcomes = await Promise.all(batches.map((batch) => history.appendAll(batch)));

  const added = outcomes.flat().filter((outcome) => 'added' in outcome && outcome.added).length;
  expect(outcomes.flat().filter((outcome) => 'error' in outcome)).toEqual([]);
  expect(added).toBe(60);
  const rows = (60 * 61) / 2;
  expect((await history.current(JOB))?.state).toMatchObject({ rows: { done: rows, matched: rows }, chunks: { done: 60, total: 60 }, version: 61 });
  expect((await bothWays()).summary).toEqual((await bothWays()).fold);
});

it('splits a delivery too large for one transaction into several within its limits', async () => {
  const recording = recordingTransactions(table);
  history = new JobHistory(recording.table);
  const created = scenario(1).events[0] as DomainEvent;
  const chunks = labeledChunks(created, 40);

  const outcomes = await history.appendAll([created, ...chunks]);

  expect(outcomes).toEqual(Array.from({ length: 41 }, () => ({ added: true })));
  // Up to 33 events a transaction, of three writes each (marker, history item, chunk item; the creation has no chunk
  // item), and the summary once in each.
  expect(recording.transactions.map((writes) => writes.length)).toEqual([2 + 3 * 32 + 1, 3 * 8 + 1]);
  expect(Math.max(...recording.transactions.map((writes) => writes.length))).toBeLessThanOrEqual(MAX_TRANSACT_WRITES);
  expect((await history.current(JOB))?.state).toMatchObject({ chunks: { done: 40, total: 40 }, version: 41 });
  expect((await bothWays()).summary).toEqual((await bothWays()).fold);
});

it('fails a whole delivery at once on a fault of the machine (a full data dir), without trying its events one by one', async () => {
  const full = new MachineFaultError('no space left in the data dir', { cause: new Error('SQLITE_FULL') });
  let transactions = 0;
  // The real table (a plain object of its methods), its transactions refused as on a full disk.
  const { table: recording } = recordingTransactions(table);
  history = new JobHistory({
    ...recording,
    transact: async () => {
      transactions += 1;
      throw full;
    },
  });
  const created = scenario(1).events[0] as DomainEvent;

  const outcomes = await history.appendAll([created, ...labeledChunks(created, 2)]);

  expect(outcomes).toEqual([{ error: full }, { error: full }, { error: full }]);
  expect(transactions).toBe(1);
});

it('counts each distinct event once: its version is the number of distinct events, whatever was delivered again', async () => {
  const { events, deliveries } = scenario(7);
  await deliver(deliveries);
  await deliver(deliveries);
  expect((await history.current(JOB))?.state.version).toBe(new Set(events.map((event) => event.metadata.eventId)).size);
  expect((await bothWays()).summary).toEqual((await bothWays()).fold);
});

it('counts a chunk once per index: a second event of the same chunk replaces its figures only if it comes later in history', async () => {
  const created = scenario(1).events[0] as DomainEvent;
  const labeled = (eventId: string, occurredAt: string, done: number) =>
    ({
      type: 'chunk.labeled.v1',
      source: 'refinery.labeler',
      metadata: { ...created.metadata, eventId, occurredAt },
      data: {
        chunk: { index: 0, count: 2 },
        rows: { first: 0, count: done },
        result: { bucket: 'b', key: 'k' },
        counts: { matched: done, unmatched: 0, invalid: 0, byMethod: { exact: done, fuzzy: 0, nickname: 0 } },
      },
    }) as DomainEvent;
  await history.append(created);
  await history.append(labeled('evt_late', '2026-11-28T12:05:00.000Z', 4));
  await history.append(labeled('evt_early', '2026-11-28T12:01:00.000Z', 9));
  expect((await history.current(JOB))?.state).toMatchObject({ rows: { done: 4, matched: 4 }, chunks: { done: 1, total: 2 }, version: 3 });
  await history.append(labeled('evt_later', '2026-11-28T12:09:00.000Z', 6));
  expect((await history.current(JOB))?.state).toMatchObject({ rows: { done: 6, matched: 6 }, chunks: { done: 1, total: 2 }, version: 4 });
  expect((await bothWays()).summary).toEqual((await bothWays()).fold);
});

it('builds the summary of a job recorded before summaries existed from its history, once, then keeps it up to date', async () => {
  const { events, deliveries } = scenario(11);
  const half = Math.ceil(deliveries.length / 2);
  await deliver(deliveries.slice(0, half));
  // As the previous version left it: the history (markers, events, format item) and no summary, chunk or decision item.
  const pk = history.partitionOf(JOB);
  const derived = (await table.query(pk, { limit: 10_000 })).items.filter((item) => /^(state|chunk#|decision#)/.test(item.sk));
  expect(derived.map((item) => item.sk)).toContain('state');
  for (const item of derived) await table.delete(item);
  const before = foldWithDecisions(JOB, await history.load(JOB));

  expect((await history.current(JOB))?.state).toEqual(before?.state);
  expect(await table.get({ pk, sk: 'state' })).toMatchObject({ version: before?.state.version ?? expect.any(Number) });

  await deliver(deliveries.slice(half));
  await deliver(deliveries);
  const { summary, fold } = await bothWays();
  expect(summary).toEqual(fold);
  expect(summary.state?.version).toBe(new Set(events.map((event) => event.metadata.eventId)).size);
});

it('builds the summary on the first event recorded for such a job, before applying that event', async () => {
  const { events } = scenario(3);
  const [created, ...rest] = events as [DomainEvent, ...DomainEvent[]];
  await history.append(created);
  const pk = history.partitionOf(JOB);
  await table.delete({ pk, sk: 'state' });
  for (const event of rest) await history.append(event);
  const { summary, fold } = await bothWays();
  expect(summary).toEqual(fold);
  expect(summary.state?.version).toBe(events.length);
});
