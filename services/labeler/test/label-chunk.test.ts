import { join } from 'node:path';
import type { LabeledRow, MatchedRow } from '@refinery/chunk-records';
import { matchesEventPattern } from '@refinery/event-patterns';
import { type chunkMatchedV1, deriveEventId, type EventData, type EventMetadata } from '@refinery/events';
import { type Metrics, noMetrics } from '@refinery/ports';
import { subscriptionPattern } from '@refinery/runtime';
import { createTestPorts, RecordingMetrics, readFixture, sqsEvent, type TestPorts, testContext } from '@refinery/test-support';
import { labeler as declaration, labelerHandlers } from '../src/service';

const LABELED_BUCKET = 'labeler-chunks';
const FIXTURE = join(__dirname, 'fixtures', 'chunk-matched.json');

interface MatchedFixture {
  detail: { metadata: EventMetadata; data: EventData<typeof chunkMatchedV1> };
}

function matched(): MatchedFixture {
  return JSON.parse(readFixture(FIXTURE)) as MatchedFixture;
}

function matchedBody(change?: (event: MatchedFixture) => void): string {
  const event = matched();
  change?.(event);
  return JSON.stringify(event);
}

const MATCHED_ROW: MatchedRow = {
  row: 10,
  cells: ['Robert', 'Paulson', 'robert.paulson@example.com', '+1 302 555 0199', "Lou's Tavern", 'Manager', 'Wilmington'],
  contact: {
    first_name: 'Robert',
    last_name: 'Paulson',
    email: 'robert.paulson@example.com',
    phone: '+13025550199',
    company: "Lou's Tavern",
    title: 'Manager',
    city: 'Wilmington',
  },
  status: 'matched',
  method: 'exact',
  score: 0.98,
  matchId: 'dir-robert-paulson',
  reason: 'e-mail equal; name "Robert Paulson" ~ "Robert Paulson" (1.00)',
  provider: {
    first_name: 'Robert',
    last_name: 'Paulson',
    email: 'robert.paulson@example.com',
    phone: '+13025550100',
    company: 'Paper Street Soap Company',
    city: 'Wilmington',
    state: 'DE',
    postcode: '19801',
  },
};

const UNMATCHED_ROW: MatchedRow = {
  row: 11,
  cells: ['Zebediah', 'Quillfeather', 'zq@nowhere.example', '', '', '', ''],
  contact: { first_name: 'Zebediah', last_name: 'Quillfeather', email: 'zq@nowhere.example' },
  status: 'unmatched',
  method: null,
  score: 0,
  matchId: null,
  reason: 'the provider returned no candidates',
  provider: null,
};

const INVALID_ROW: MatchedRow = {
  row: 12,
  cells: ['Alice', '', 'alice@example.com', '', '', '', ''],
  contact: { first_name: 'Alice', email: 'alice@example.com' },
  status: 'invalid',
  method: null,
  score: 0,
  matchId: null,
  reason: 'missing last_name',
  provider: null,
};

const ROWS = [MATCHED_ROW, UNMATCHED_ROW, INVALID_ROW];

let ports: TestPorts;

beforeEach(() => {
  ports = createTestPorts();
});

afterEach(() => ports.cleanup());

function labeler(subscription: 'chunks' | 'expressChunks' = 'chunks', metrics: Metrics = noMetrics) {
  return labelerHandlers({
    publisher: ports.publisher,
    clock: ports.clock,
    ids: ports.ids,
    logger: ports.logger,
    metrics,
    config: { chunksBucket: LABELED_BUCKET },
    objects: ports.objects,
  }).subscriptions[subscription].handler;
}

async function putMatchedRows(rows: readonly MatchedRow[]): Promise<void> {
  await ports.objects.put(matched().detail.data.result, rows.map((row) => `${JSON.stringify(row)}\n`).join(''), {
    contentType: 'application/x-ndjson',
  });
}

function labeledKey(): string {
  const { metadata } = matched().detail;
  return `tenants/${metadata.tenantId}/jobs/${metadata.jobId}/labeled/000000001.ndjson`;
}

async function readLabeledRows(): Promise<LabeledRow[]> {
  const text = (await ports.objects.getBuffer({ bucket: LABELED_BUCKET, key: labeledKey() })).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LabeledRow);
}

const empty = { status: 'empty' };
const unverified = { status: 'unverified' };

describe('labeler chunks: chunk.matched.v1', () => {
  it('counts the rows by status and method, and the chunk with its duration, once it is labeled', async () => {
    await putMatchedRows(ROWS);
    const metrics = new RecordingMetrics();
    const response = await labeler('chunks', metrics)(sqsEvent([matchedBody()]), testContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(metrics.of('rowsProcessed')).toEqual([
      { name: 'rowsProcessed', value: 1, dimensions: { status: 'matched', method: 'exact' } },
      { name: 'rowsProcessed', value: 1, dimensions: { status: 'unmatched', method: 'none' } },
      { name: 'rowsProcessed', value: 1, dimensions: { status: 'invalid', method: 'none' } },
    ]);
    expect(metrics.of('chunksProcessed')).toEqual([{ name: 'chunksProcessed', value: 1, dimensions: { stage: 'labeler' } }]);
    const [duration] = metrics.of('stageDuration');
    expect(duration?.dimensions).toEqual({ stage: 'labeler' });
    expect(duration?.value).toBeGreaterThanOrEqual(0);
  });

  it('counts nothing for a chunk it could not label', async () => {
    await putMatchedRows([MATCHED_ROW]);
    const metrics = new RecordingMetrics();
    const response = await labeler('chunks', metrics)(sqsEvent([matchedBody()]), testContext());

    expect(response.batchItemFailures).toEqual([]);
    // Fewer rows than the event says: the chunk fails (reported, not retried) and no figure is recorded.
    expect(ports.publisher.ofType('stage.failed.v1')).toHaveLength(1);
    expect(metrics.records).toEqual([]);
  });

  it('labels every canonical field of a matched row: confirmed, old, new, unverified and empty, with the latest values', async () => {
    await putMatchedRows(ROWS);
    const response = await labeler()(sqsEvent([matchedBody()]), testContext());

    expect(response.batchItemFailures).toEqual([]);
    const [row] = await readLabeledRows();
    expect(row).toEqual({
      row: 10,
      cells: MATCHED_ROW.cells,
      status: 'matched',
      method: 'exact',
      score: 0.98,
      matchId: 'dir-robert-paulson',
      reason: MATCHED_ROW.reason,
      labels: {
        first_name: { status: 'confirmed', latest: 'Robert' },
        last_name: { status: 'confirmed', latest: 'Paulson' },
        email: { status: 'confirmed', latest: 'robert.paulson@example.com' },
        phone: { status: 'old', latest: '+13025550100' },
        company: { status: 'old', latest: 'Paper Street Soap Company' },
        title: unverified,
        street: empty,
        city: { status: 'confirmed', latest: 'Wilmington' },
        state: { status: 'new', latest: 'DE' },
        postcode: { status: 'new', latest: '19801' },
        country: empty,
        birth_date: empty,
      },
    });
  });

  it('labels unmatched and invalid rows too: what the book has is unverified, the rest empty, no latest values', async () => {
    await putMatchedRows(ROWS);
    await labeler()(sqsEvent([matchedBody()]), testContext());

    const [, unmatched, invalid] = await readLabeledRows();
    const allEmpty = {
      first_name: empty,
      last_name: empty,
      email: empty,
      phone: empty,
      company: empty,
      title: empty,
      street: empty,
      city: empty,
      state: empty,
      postcode: empty,
      country: empty,
      birth_date: empty,
    };
    expect(unmatched).toEqual({
      row: 11,
      cells: UNMATCHED_ROW.cells,
      status: 'unmatched',
      method: null,
      score: 0,
      matchId: null,
      reason: 'the provider returned no candidates',
      labels: { ...allEmpty, first_name: unverified, last_name: unverified, email: unverified },
    });
    expect(invalid).toEqual({
      row: 12,
      cells: INVALID_ROW.cells,
      status: 'invalid',
      method: null,
      score: 0,
      matchId: null,
      reason: 'missing last_name',
      labels: { ...allEmpty, first_name: unverified, email: unverified },
    });
  });

  it('never labels against provider values of a row that is not matched', async () => {
    await putMatchedRows([{ ...UNMATCHED_ROW, row: 10, provider: MATCHED_ROW.provider }, UNMATCHED_ROW, INVALID_ROW]);
    await labeler()(sqsEvent([matchedBody()]), testContext());

    const [row] = await readLabeledRows();
    expect(Object.values(row!.labels).every((label) => label.latest === undefined)).toBe(true);
    expect(row!.labels.email).toEqual(unverified);
  });

  it('writes the labeled rows in order to the labeler chunks bucket and publishes chunk.labeled.v1 with their counts', async () => {
    await putMatchedRows(ROWS);
    await labeler()(sqsEvent([matchedBody()]), testContext());

    const rows = await readLabeledRows();
    expect(rows.map((row) => row.row)).toEqual([10, 11, 12]);
    expect((await ports.objects.head({ bucket: LABELED_BUCKET, key: labeledKey() }))?.contentType).toBe('application/x-ndjson');
    const cause = matched().detail;
    expect(ports.publisher.entries).toHaveLength(1);
    const [event] = ports.publisher.ofType('chunk.labeled.v1');
    expect(event!.source).toBe('refinery.labeler');
    expect(event!.metadata).toMatchObject({
      eventId: deriveEventId(cause.metadata.eventId, 'chunk.labeled.v1'),
      tenantId: 'acme',
      jobId: cause.metadata.jobId,
      correlationId: cause.metadata.correlationId,
      causationId: cause.metadata.eventId,
    });
    expect(event!.data).toEqual({
      chunk: { index: 1, count: 3 },
      rows: { first: 10, count: 3 },
      result: { bucket: LABELED_BUCKET, key: labeledKey() },
      counts: { matched: 1, unmatched: 1, invalid: 1, byMethod: { exact: 1, fuzzy: 0, nickname: 0 } },
    });
  });

  it('counts the rows it labeled, not what the event claims', async () => {
    await putMatchedRows([MATCHED_ROW, UNMATCHED_ROW, { ...INVALID_ROW, status: 'unmatched', reason: 'the provider returned no candidates' }]);
    await labeler()(sqsEvent([matchedBody()]), testContext());

    const [event] = ports.publisher.ofType('chunk.labeled.v1');
    expect(event!.data.counts).toEqual({ matched: 1, unmatched: 2, invalid: 0, byMethod: { exact: 1, fuzzy: 0, nickname: 0 } });
  });

  it('fails the chunk for good (stage.failed.v1, retryable false) when the object holds a different number of rows than the event', async () => {
    await putMatchedRows([MATCHED_ROW, UNMATCHED_ROW]);
    const response = await labeler()(sqsEvent([matchedBody()]), testContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(ports.publisher.ofType('chunk.labeled.v1')).toEqual([]);
    const [failure] = ports.publisher.ofType('stage.failed.v1');
    expect(failure!.source).toBe('refinery.labeler');
    expect(failure!.data).toMatchObject({
      service: 'labeler',
      subscription: 'chunks',
      eventType: 'chunk.matched.v1',
      eventId: matched().detail.metadata.eventId,
      retryable: false,
      attempts: 1,
      chunk: { index: 1 },
      rows: { first: 10, count: 3 },
      reason: 'matched chunk 2 holds 2 rows, its event says 3',
    });
  });

  it('keeps the message for a retry when the matched object cannot be read, and publishes nothing', async () => {
    const response = await labeler()(sqsEvent([matchedBody()]), testContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(ports.publisher.entries).toEqual([]);
  });

  it('reports a missing matched object as stage.failed.v1 (retryable) on the last attempt', async () => {
    const maxReceiveCount = declaration.subscriptions.chunks.queue.maxReceiveCount;
    const response = await labeler()(sqsEvent([matchedBody()], { receiveCount: maxReceiveCount }), testContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    const [failure] = ports.publisher.ofType('stage.failed.v1');
    expect(failure!.data).toMatchObject({ retryable: true, attempts: maxReceiveCount, chunk: { index: 1 }, rows: { first: 10, count: 3 } });
    expect(failure!.data.reason).toContain(`labeler gave up on chunk 2 (rows 11-13) after ${maxReceiveCount} attempts`);
  });

  it('on redelivery writes the same object and republishes chunk.labeled.v1 with the same event id', async () => {
    await putMatchedRows(ROWS);
    const handler = labeler();
    await handler(sqsEvent([matchedBody()]), testContext());
    const first = await ports.objects.getBuffer({ bucket: LABELED_BUCKET, key: labeledKey() });

    await handler(sqsEvent([matchedBody()], { receiveCount: 2 }), testContext());

    expect((await ports.objects.getBuffer({ bucket: LABELED_BUCKET, key: labeledKey() })).equals(first)).toBe(true);
    const events = ports.publisher.ofType('chunk.labeled.v1');
    expect(events).toHaveLength(2);
    expect(events[1]!.metadata.eventId).toBe(events[0]!.metadata.eventId);
  });
});

describe("the labeler's lanes: chunk.matched.v1 on two queues, by the chunk's lane", () => {
  /** The EventBridge event the fixture arrives as, with this lane (none: as the previous version published it). */
  const matchedEvent = (lane?: string) => {
    const { detail } = matched();
    const { lane: _lane, ...data } = detail.data;
    return { source: 'refinery.matcher', 'detail-type': 'chunk.matched.v1', detail: { ...detail, data: { ...data, ...(lane ? { lane } : {}) } } };
  };
  const routedTo = (event: unknown) =>
    Object.values(declaration.subscriptions)
      .filter((subscription) => matchesEventPattern(subscriptionPattern(subscription), event))
      .map((subscription) => subscription.name);

  it("routes a small job's chunk to expressChunks, and a bulk one or one without a lane (published by the previous version) to chunks", () => {
    expect(routedTo(matchedEvent('express'))).toEqual(['expressChunks']);
    expect(routedTo(matchedEvent('bulk'))).toEqual(['chunks']);
    expect(routedTo(matchedEvent())).toEqual(['chunks']);
  });

  it('caps the express lane by its own setting, and leaves the bulk lane as it was', () => {
    expect(declaration.subscriptions.expressChunks.queue.maximumConcurrencySetting).toBe('expressMaximumConcurrency');
    expect(declaration.settings.expressMaximumConcurrency.default).toBe(10);
    expect(declaration.subscriptions.chunks.queue).not.toHaveProperty('maximumConcurrencySetting');
  });

  it.each([
    ['express', 'express'],
    ['bulk', 'bulk'],
    // Matched by the previous version: the merger's bulk queue takes it, as before lanes.
    ['none', undefined],
  ] as const)("carries the chunk's lane (%s) into chunk.labeled.v1, for the merger's queue of that lane", async (_name, lane) => {
    await putMatchedRows(ROWS);
    const response = await labeler(lane === 'express' ? 'expressChunks' : 'chunks')(
      sqsEvent([
        matchedBody((event) => {
          if (lane) event.detail.data.lane = lane;
          else delete event.detail.data.lane;
        }),
      ]),
      testContext(),
    );

    expect(response.batchItemFailures).toEqual([]);
    const [labeled] = ports.publisher.ofType('chunk.labeled.v1');
    if (lane) expect(labeled!.data.lane).toBe(lane);
    else expect(labeled!.data).not.toHaveProperty('lane');
  });

  it('labels an express chunk as the bulk lane does: the same rows written, chunk.labeled.v1 published', async () => {
    await putMatchedRows(ROWS);
    const response = await labeler('expressChunks')(
      sqsEvent([
        matchedBody((event) => {
          event.detail.data.lane = 'express';
        }),
      ]),
      testContext(),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect((await readLabeledRows()).map((row) => row.row)).toEqual([10, 11, 12]);
    const [labeled] = ports.publisher.ofType('chunk.labeled.v1');
    expect(labeled!.data.chunk).toEqual({ index: 1, count: 3 });
  });
});
