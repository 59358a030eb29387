import { RESULT_COLUMNS } from '@refinery/chunk-records';
import { CANONICAL_FIELDS } from '@refinery/contacts';
import { matchesEventPattern } from '@refinery/event-patterns';
import { deriveEventId, type EventData, type jobPlannedV1 } from '@refinery/events';
import { EXPRESS_LANE_OLDEST_MESSAGE_ALARM_SECONDS, subscriptionPattern } from '@refinery/runtime';
import { createTestPorts, sqsEvent, type TestPorts, testContext } from '@refinery/test-support';
import { merger as declaration } from '../src/service';
import {
  body,
  CrashBeforeRecordingCompletion,
  createMerger,
  fixture,
  JOB_ID,
  LABELED_CHUNKS,
  LEDGER_TABLE,
  putLabeledChunk,
  RESULT_KEY,
  RESULTS_BUCKET,
  readResultCsv,
} from './helpers';

const PLANNED = 'job-planned';
const chunk = (index: number) => `chunk-labeled-${index}`;

let ports: TestPorts;

beforeEach(async () => {
  ports = createTestPorts();
  for (const index of [0, 1, 2]) await putLabeledChunk(ports, index);
});

afterEach(() => ports.cleanup());

type Handler = ReturnType<typeof createMerger>['progress'];

/** Delivers one SQS batch of fixtures and expects every message to succeed. */
async function deliver(handler: Handler, names: readonly string[], receiveCount = 1): Promise<void> {
  const response = await handler(
    sqsEvent(
      names.map((name) => body(name)),
      { receiveCount },
    ),
    testContext(),
  );
  expect(response.batchItemFailures).toEqual([]);
}

function completions() {
  return ports.publisher.ofType('job.completed.v1');
}

describe('merger progress: job.planned.v1 + chunk.labeled.v1', () => {
  it('completes once when job.planned.v1 arrives last, after chunks delivered out of order and twice', async () => {
    const { progress } = createMerger(ports);

    await deliver(progress, [chunk(2), chunk(0), chunk(2)]);
    await deliver(progress, [chunk(1)]);
    await deliver(progress, [chunk(0), chunk(1)], 2);
    expect(ports.publisher.entries).toEqual([]);
    expect(await ports.objects.head({ bucket: RESULTS_BUCKET, key: RESULT_KEY })).toBeUndefined();

    await deliver(progress, [PLANNED]);
    expect(completions()).toHaveLength(1);
    expect(completions()[0]!.metadata.causationId).toBe(fixture(PLANNED).detail.metadata.eventId);

    await deliver(progress, [chunk(2), chunk(1), PLANNED], 2);
    expect(ports.publisher.entries).toHaveLength(1);
  });

  it('completes once when job.planned.v1 arrives first, on the last new chunk, whatever the duplicates', async () => {
    const { progress } = createMerger(ports);

    await deliver(progress, [PLANNED]);
    await deliver(progress, [chunk(1)]);
    await deliver(progress, [chunk(2), chunk(1), PLANNED], 2);
    expect(ports.publisher.entries).toEqual([]);

    await deliver(progress, [chunk(0)]);
    expect(completions()).toHaveLength(1);
    expect(completions()[0]!.metadata.causationId).toBe(fixture(chunk(0)).detail.metadata.eventId);

    await deliver(progress, [chunk(0), chunk(2), chunk(1)], 2);
    expect(ports.publisher.entries).toHaveLength(1);
  });

  it('completes once from one batch that holds everything, shuffled and duplicated', async () => {
    const { progress } = createMerger(ports);

    await deliver(progress, [chunk(1), PLANNED, chunk(2), chunk(1), chunk(0), PLANNED]);

    expect(completions()).toHaveLength(1);
    expect(ports.publisher.entries).toHaveLength(1);
  });

  it('publishes job.completed.v1 with the result file, the totals and an id derived from the job', async () => {
    const { progress } = createMerger(ports);
    await deliver(progress, [PLANNED, chunk(0), chunk(1), chunk(2)]);

    const planned = fixture(PLANNED).detail.metadata;
    const [completed] = completions();
    const info = await ports.objects.head({ bucket: RESULTS_BUCKET, key: RESULT_KEY });
    expect(completed!.source).toBe('refinery.merger');
    expect(completed!.metadata).toMatchObject({
      eventId: deriveEventId(JOB_ID, 'job.completed.v1'),
      tenantId: 'acme',
      jobId: JOB_ID,
      correlationId: planned.correlationId,
      causationId: fixture(chunk(2)).detail.metadata.eventId,
    });
    expect(completed!.data).toEqual({
      result: { bucket: RESULTS_BUCKET, key: RESULT_KEY, sizeBytes: info!.sizeBytes, contentType: 'text/csv; charset=utf-8' },
      rows: { total: 5, matched: 3, unmatched: 1, invalid: 1 },
      byMethod: { exact: 1, fuzzy: 1, nickname: 1 },
      chunks: { total: 3 },
    });
    expect(info!.sizeBytes).toBeGreaterThan(0);
    expect(info!.contentType).toBe('text/csv; charset=utf-8');
  });

  it('writes the result CSV: input header + result columns, every row in order, cells spreadsheet-safe', async () => {
    const { progress } = createMerger(ports);
    // Chunks arrive backwards: the file is still in row order.
    await deliver(progress, [chunk(2), chunk(1), chunk(0), PLANNED]);

    const { text, records } = await readResultCsv(ports);
    const [header, ...rows] = records;
    expect(header).toEqual(['First Name', 'Last Name', 'Email', 'Notes', ...RESULT_COLUMNS]);
    expect(RESULT_COLUMNS.slice(0, 7)).toEqual([
      'match_status',
      'match_method',
      'match_score',
      'match_id',
      'match_reason',
      'first_name_status',
      'first_name_latest',
    ]);
    expect(rows).toHaveLength(5);
    for (const row of rows) expect(row).toHaveLength(header!.length);

    // Row 0 in full: the formula cell comes out as text.
    expect(rows[0]).toEqual([
      'Robert',
      'Paulson',
      'robert.paulson@example.com',
      "'=1+1",
      'matched',
      'exact',
      '0.980',
      'dir-robert-paulson',
      'e-mail equal; name "Robert Paulson" ~ "Robert Paulson" (1.00)',
      ...CANONICAL_FIELDS.flatMap(
        (field) =>
          ({
            first_name: ['confirmed', 'Robert'],
            last_name: ['confirmed', 'Paulson'],
            email: ['confirmed', 'robert.paulson@example.com'],
            company: ['new', 'Paper Street Soap Company'],
          })[field as string] ?? ['empty', ''],
      ),
    ]);
    expect(text).toContain(",'=1+1,");

    const inputCells = rows.map((row) => row.slice(0, 4));
    expect(inputCells).toEqual([
      ['Robert', 'Paulson', 'robert.paulson@example.com', "'=1+1"],
      ['Zebediah', 'Quillfeather', 'zq@nowhere.example', ''],
      ['Bob', 'Paulson', '', 'Likes "soap", a lot'],
      ['Dave', 'Jones', 'dave@example.com', ''],
      ['Marla', 'Singer', 'marla@example.org', "'@home"],
    ]);
    const rowsInOrder = LABELED_CHUNKS.flat();
    expect(rows.map((row) => row.slice(4, 9))).toEqual(
      rowsInOrder.map((row) => [row.status, row.method ?? '', row.score.toFixed(3), row.matchId ?? '', row.reason]),
    );
    expect(rows[2]!.slice(9, 11)).toEqual(['old', 'Robert']);
  });

  it('completes a job of 0 chunks on job.planned.v1 alone, with a header-only result', async () => {
    const { progress } = createMerger(ports);
    const response = await progress(
      sqsEvent([
        body<EventData<typeof jobPlannedV1>>(PLANNED, (event) => {
          event.detail.data.rows.total = 0;
          event.detail.data.chunks.total = 0;
        }),
      ]),
      testContext(),
    );

    expect(response.batchItemFailures).toEqual([]);
    const [completed] = completions();
    expect(completed!.data).toMatchObject({ rows: { total: 0, matched: 0, unmatched: 0, invalid: 0 }, chunks: { total: 0 } });
    const { records } = await readResultCsv(ports);
    expect(records).toEqual([['First Name', 'Last Name', 'Email', 'Notes', ...RESULT_COLUMNS]]);
  });

  it('fails the completing message when a labeled object is missing, publishes nothing, and completes once it is there', async () => {
    await ports.objects.delete({ bucket: 'labeler-chunks', key: fixture<{ result: { key: string } }>(chunk(1)).detail.data.result.key });
    const { progress } = createMerger(ports);
    await deliver(progress, [PLANNED, chunk(0), chunk(1)]);

    const response = await progress(sqsEvent([body(chunk(2))]), testContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(ports.publisher.entries).toEqual([]);
    expect(await ports.objects.head({ bucket: RESULTS_BUCKET, key: RESULT_KEY })).toBeUndefined();

    // The queue brings the message back once the object is readable again: nothing was lost.
    await putLabeledChunk(ports, 1);
    await deliver(progress, [chunk(2)], 2);
    expect(completions()).toHaveLength(1);
  });

  it('republishes job.completed.v1 with the same event id when the completing message is redelivered after a crash', async () => {
    const ledger = new CrashBeforeRecordingCompletion(ports.table(LEDGER_TABLE));
    const { progress } = createMerger(ports, ledger);
    await deliver(progress, [PLANNED, chunk(0), chunk(1)]);

    const crashed = await progress(sqsEvent([body(chunk(2))]), testContext());
    expect(crashed.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(completions()).toHaveLength(1);

    await deliver(progress, [chunk(2)], 2);
    const [first, second] = completions();
    expect(completions()).toHaveLength(2);
    expect(second!.metadata.eventId).toBe(first!.metadata.eventId);
    expect(second!.data).toEqual(first!.data);

    // Recorded now: a further redelivery publishes nothing.
    await deliver(progress, [chunk(2)], 3);
    expect(completions()).toHaveLength(2);
  });

  it('keeps different jobs apart', async () => {
    const { progress } = createMerger(ports);
    const otherJob = (name: string) =>
      body(name, (event) => {
        event.detail.metadata.jobId = 'job_01JDZOTHER000000000000000';
      });
    // Between them the two jobs have chunks 1, 2 and 3, but neither job has all three.
    const response = await progress(sqsEvent([otherJob(PLANNED), otherJob(chunk(2))]), testContext());
    expect(response.batchItemFailures).toEqual([]);
    await deliver(progress, [PLANNED, chunk(0), chunk(1)]);

    expect(ports.publisher.entries).toEqual([]);
  });
});

describe("the merger's lanes: job.planned.v1 and chunk.labeled.v1 on two queues, by the job's lane", () => {
  /** A fixture's event (as EventBridge delivers it) with this lane; none: as the previous version published it. */
  const withLane = (name: string, lane?: string) =>
    body<{ lane?: string }>(name, (event) => {
      delete event.detail.data.lane;
      if (lane) event.detail.data.lane = lane;
    });
  const routedTo = (name: string, lane?: string) =>
    Object.values(declaration.subscriptions)
      .filter((subscription) => matchesEventPattern(subscriptionPattern(subscription), JSON.parse(withLane(name, lane))))
      .map((subscription) => subscription.name);

  it.each([
    ['job.planned.v1', PLANNED],
    ['chunk.labeled.v1', chunk(0)],
  ])("routes a small job's %s to expressProgress, and a bulk one or one without a lane (the previous version's) to progress", (_type, name) => {
    expect(routedTo(name, 'express')).toEqual(['expressProgress']);
    expect(routedTo(name, 'bulk')).toEqual(['progress']);
    expect(routedTo(name)).toEqual(['progress']);
  });

  it("gives the express lane the bulk lane's queue and function, capped by its own setting and alarming sooner; the bulk lane stays uncapped", () => {
    const { progress, expressProgress } = declaration.subscriptions;
    const { maximumConcurrencySetting, oldestMessageAlarmSeconds, ...expressQueue } = expressProgress.queue;
    expect(expressQueue).toEqual(progress.queue);
    expect(oldestMessageAlarmSeconds).toBe(EXPRESS_LANE_OLDEST_MESSAGE_ALARM_SECONDS);
    expect(progress.queue).not.toHaveProperty('oldestMessageAlarmSeconds');
    expect(expressProgress.function).toEqual(progress.function);
    expect(maximumConcurrencySetting).toBe('expressMaximumConcurrency');
    expect(declaration.settings.expressMaximumConcurrency.default).toBe(10);
    expect(progress.queue).not.toHaveProperty('maximumConcurrencySetting');
  });

  it('completes an express job as the bulk lane does, once, from batches handled at the same time', async () => {
    const { expressProgress } = createMerger(ports);
    const responses = await Promise.all([
      expressProgress(sqsEvent([withLane(PLANNED, 'express'), withLane(chunk(1), 'express')]), testContext()),
      expressProgress(sqsEvent([withLane(chunk(0), 'express'), withLane(chunk(2), 'express')]), testContext()),
    ]);

    expect(responses.map((response) => response.batchItemFailures)).toEqual([[], []]);
    // Both batches may find the job complete: the same event (id derived from the job), consumers drop the copy.
    expect(completions().length).toBeGreaterThanOrEqual(1);
    expect(new Set(completions().map((completed) => completed.metadata.eventId))).toEqual(new Set([deriveEventId(JOB_ID, 'job.completed.v1')]));
    expect(completions()[0]!.data.rows).toEqual({ total: 5, matched: 3, unmatched: 1, invalid: 1 });
    expect((await readResultCsv(ports)).records.slice(1).map((record) => record[0])).toEqual(['Robert', 'Zebediah', 'Bob', 'Dave', 'Marla']);
  });

  it('completes a job whose totals and chunks came on different lanes (an express plan, chunks labeled by the previous version)', async () => {
    const { progress, expressProgress } = createMerger(ports);
    const planned = await expressProgress(sqsEvent([withLane(PLANNED, 'express')]), testContext());
    expect(planned.batchItemFailures).toEqual([]);
    await deliver(progress, [chunk(0), chunk(1), chunk(2)]);

    expect(completions()).toHaveLength(1);
  });
});
