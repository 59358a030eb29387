import type { LabeledRow } from '@refinery/chunk-records';
import { countRowOutcome, type EventData, emptyMatchCounts, type jobPlannedV1 } from '@refinery/events';
import type { ObjectRef, ObjectStore } from '@refinery/ports';
import { createTestPorts, sqsEvent, type TestPorts, testContext } from '@refinery/test-support';
import { Ledger, segmentChunks } from '../src/domain/ledger';
import { CHUNKS_READ_AHEAD, mergePrefix, mergeSegment, segmentRefs } from '../src/domain/merge-result';
import {
  body,
  createMerger,
  JOB_ID,
  LABELED_BUCKET,
  LABELED_CHUNKS,
  LEDGER_TABLE,
  labeledKey,
  labels,
  RESULT_KEY,
  RESULTS_BUCKET,
  shuffled,
} from './helpers';
import { mergeResult } from './single-pass-merge';

// The merge in segments: a job of 120 chunks of 3 rows is 3 segments (50, 50 and 20 chunks). Each is merged when its
// last chunk comes in, and the result composed from them must be byte for byte what the previous version's single
// pass wrote.

const CHUNKS = 120;
const ROWS_PER_CHUNK = 3;
const ROWS = CHUNKS * ROWS_PER_CHUNK;
const JOB_DIR = `tenants/acme/jobs/${JOB_ID}`;
const REVIEW_KEY = `${JOB_DIR}/review.ndjson`;
const REFERENCE = { result: { bucket: 'reference', key: 'result.csv' }, review: { bucket: 'reference', key: 'review.ndjson' } };

let ports: TestPorts;

beforeEach(() => {
  ports = createTestPorts();
});

afterEach(() => ports.cleanup());

/** Row `row` of the job: the fixture rows in turn, every seventh in review (so the review queue spans segments). */
function labeledRow(row: number): LabeledRow {
  const template = LABELED_CHUNKS.flat()[row % 5] as LabeledRow;
  if (row % 7 !== 3) return { ...template, row, cells: [...template.cells, `row ${row}`] };
  return {
    row,
    cells: ['Zebediah', 'Quillfeather', `zq${row}@nowhere.example`, '=1+1'],
    status: 'review',
    method: 'fuzzy',
    score: 0.7,
    matchId: `dir-zeb-${row}`,
    reason: 'probability 0.7 of a candidate',
    labels: labels({ first_name: { status: 'unverified' } }),
    review: {
      contact: { first_name: 'Zebediah', last_name: 'Quillfeather' },
      candidate: { first_name: 'Zebediah', last_name: 'Quill' },
      comparison: { levels: [0, 0, -1], namesSwapped: false },
    },
  };
}

function chunkRows(index: number): LabeledRow[] {
  return Array.from({ length: ROWS_PER_CHUNK }, (_, i) => labeledRow(index * ROWS_PER_CHUNK + i));
}

async function putChunk(index: number, rows: readonly LabeledRow[] = chunkRows(index)): Promise<void> {
  await ports.objects.put({ bucket: LABELED_BUCKET, key: labeledKey(index) }, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
}

/** chunk.labeled.v1 of chunk `index` of this job, as an SQS message body. */
function chunkBody(index: number): string {
  return body<Record<string, unknown>>('chunk-labeled-0', (event) => {
    const counts = emptyMatchCounts();
    for (const row of chunkRows(index)) countRowOutcome(counts, row);
    event.detail.metadata.eventId = `chunk-labeled-${index}`;
    event.detail.data = {
      chunk: { index, count: CHUNKS },
      rows: { first: index * ROWS_PER_CHUNK, count: ROWS_PER_CHUNK },
      result: { bucket: LABELED_BUCKET, key: labeledKey(index) },
      counts,
    };
  });
}

const plannedBody = () =>
  body<EventData<typeof jobPlannedV1>>('job-planned', (event) => {
    event.detail.data.rows.total = ROWS;
    event.detail.data.chunks.total = CHUNKS;
  });

type Handler = ReturnType<typeof createMerger>['progress'];

async function deliver(handler: Handler, bodies: readonly string[], receiveCount = 1): Promise<void> {
  // Batches of 10, as the queue delivers them.
  for (let start = 0; start < bodies.length; start += 10) {
    const response = await handler(sqsEvent(bodies.slice(start, start + 10), { receiveCount }), testContext());
    expect(response.batchItemFailures).toEqual([]);
  }
}

const range = (first: number, end: number) => Array.from({ length: end - first }, (_, i) => first + i);

const segmentObject = (index: number) => ports.objects.head(segmentRefs(RESULTS_BUCKET, 'acme', JOB_ID, index).data);
const text = async (ref: { bucket: string; key: string }) => (await ports.objects.getBuffer(ref)).toString('utf8');

/** The previous version's single-pass merge of the same job, from its ledger: what the result must equal. */
async function singlePassReference(): Promise<{ result: string; review: string }> {
  const ledger = new Ledger(ports.table(LEDGER_TABLE));
  const plan = await ledger.plan(JOB_ID);
  await mergeResult(ports.objects, plan!, ledger.chunks(JOB_ID, { first: 0, end: CHUNKS }), REFERENCE.result, REFERENCE.review);
  return { result: await text(REFERENCE.result), review: await text(REFERENCE.review) };
}

async function expectSameAsSinglePass(): Promise<void> {
  const reference = await singlePassReference();
  expect(await text({ bucket: RESULTS_BUCKET, key: RESULT_KEY })).toBe(reference.result);
  expect(await text({ bucket: RESULTS_BUCKET, key: REVIEW_KEY })).toBe(reference.review);
  expect(reference.result.split('\n')).toHaveLength(ROWS + 2);
}

describe('merger: the merge in segments', () => {
  beforeEach(async () => {
    for (const index of range(0, CHUNKS)) await putChunk(index);
  });

  it('merges each segment as its last chunk comes in, and composes the job byte for byte as the single pass did', async () => {
    const { progress } = createMerger(ports);
    await deliver(progress, [plannedBody()]);

    await deliver(progress, shuffled(range(0, 50), 1).map(chunkBody));
    expect(await segmentObject(0)).toBeDefined();
    expect(await segmentObject(1)).toBeUndefined();
    expect(await new Ledger(ports.table(LEDGER_TABLE)).segment(JOB_ID, 0)).toMatchObject({ index: 0, firstRow: 0, rows: 150 });

    await deliver(progress, shuffled(range(50, CHUNKS - 1), 2).map(chunkBody));
    expect(await segmentObject(1)).toBeDefined();
    expect(ports.publisher.ofType('job.completed.v1')).toEqual([]);

    await deliver(progress, [chunkBody(CHUNKS - 1)]);
    const [completed, ...more] = ports.publisher.ofType('job.completed.v1');
    expect(more).toEqual([]);
    const expectedCounts = emptyMatchCounts();
    for (const row of range(0, ROWS).map(labeledRow)) countRowOutcome(expectedCounts, row);
    const { byMethod, ...statuses } = expectedCounts;
    expect(completed!.data).toEqual({
      result: expect.objectContaining({ bucket: RESULTS_BUCKET, key: RESULT_KEY }),
      rows: { total: ROWS, ...statuses },
      byMethod,
      chunks: { total: CHUNKS },
      review: { items: { bucket: RESULTS_BUCKET, key: REVIEW_KEY }, count: expectedCounts.review },
    });
    expect(completed!.data.result.sizeBytes).toBe((await ports.objects.head({ bucket: RESULTS_BUCKET, key: RESULT_KEY }))!.sizeBytes);
    await expectSameAsSinglePass();
    // The segments are in the result: they are gone.
    expect(await ports.objects.deletePrefix(RESULTS_BUCKET, mergePrefix('acme', JOB_ID))).toBe(0);
  });

  it('gives the same result with chunks in any order, each delivered twice, the plan last', async () => {
    const { progress } = createMerger(ports);
    const order = shuffled([...range(0, CHUNKS), ...range(0, CHUNKS)], 3);

    await deliver(progress, order.map(chunkBody), 2);
    expect(ports.publisher.entries).toEqual([]);
    await deliver(progress, [plannedBody()]);

    expect(ports.publisher.ofType('job.completed.v1')).toHaveLength(1);
    await expectSameAsSinglePass();
  });

  it('does not merge a segment again when one of its chunks is redelivered', async () => {
    const { progress } = createMerger(ports);
    await deliver(progress, [plannedBody(), ...range(0, 50).map(chunkBody)]);
    expect(await segmentObject(0)).toBeDefined();

    // Merging again would need the chunk's rows: they are gone, and the redelivery still succeeds.
    await ports.objects.delete({ bucket: LABELED_BUCKET, key: labeledKey(7) });
    await deliver(progress, [chunkBody(7)], 2);
  });

  it('fails the message that completes a segment whose rows have a gap, and records no segment', async () => {
    await putChunk(
      7,
      chunkRows(7).map((row) => ({ ...row, row: row.row + 1 })),
    );
    const { progress } = createMerger(ports);
    await deliver(progress, [plannedBody(), ...range(0, 49).map(chunkBody)]);

    const response = await progress(sqsEvent([chunkBody(49)]), testContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    const ledger = new Ledger(ports.table(LEDGER_TABLE));
    expect(await ledger.segment(JOB_ID, 0)).toBeUndefined();
    expect(ports.publisher.entries).toEqual([]);
    // Why, as the queue's retries and the dead-letter report (stage.failed.v1, then job.failed.v1) will tell it.
    await expect(
      mergeSegment(
        ports.objects,
        4,
        { index: 0, ...segmentChunks(0, CHUNKS) },
        ledger.chunks(JOB_ID, segmentChunks(0, CHUNKS)),
        segmentRefs(RESULTS_BUCKET, 'acme', JOB_ID, 0),
      ),
    ).rejects.toThrow('row 22 expected, chunk 8 has row 23');
  });

  it('completes a job the previous version recorded part of (chunks and shards, no segments), as it would have', async () => {
    const { progress } = createMerger(ports);
    await deliver(progress, [plannedBody()]);
    // What the previous version left: every chunk but the last recorded, no segment merged.
    const ledger = new Ledger(ports.table(LEDGER_TABLE));
    for (const index of range(0, CHUNKS - 1)) {
      const event = JSON.parse(chunkBody(index)).detail.data;
      await ledger.recordChunk(JOB_ID, CHUNKS, { index, result: event.result, rows: event.rows, counts: event.counts });
    }
    expect(await segmentObject(0)).toBeUndefined();

    await deliver(progress, [chunkBody(CHUNKS - 1)]);

    expect(ports.publisher.ofType('job.completed.v1')).toHaveLength(1);
    await expectSameAsSinglePass();
  });

  it('reads the chunks of a segment a few at once, ahead of the rows being written, and writes the same bytes', async () => {
    const { progress } = createMerger(ports);
    await deliver(progress, [plannedBody(), ...range(0, 50).map(chunkBody)]);
    const merged = await text(segmentRefs(RESULTS_BUCKET, 'acme', JOB_ID, 0).data);
    // Every read takes a while and is counted while it does.
    let reading = 0;
    let mostAtOnce = 0;
    const slowReads = Object.assign(Object.create(ports.objects) as ObjectStore, {
      get: async (ref: ObjectRef) => {
        reading += 1;
        mostAtOnce = Math.max(mostAtOnce, reading);
        await new Promise((resolve) => setTimeout(resolve, 5));
        const body = await ports.objects.get(ref);
        // Read through: a chunk counts as being read until its stream has ended.
        body.once('close', () => {
          reading -= 1;
        });
        return body;
      },
    });
    const range0 = segmentChunks(0, CHUNKS);
    const again = { data: { bucket: 'again', key: 'segment.csv' }, review: { bucket: 'again', key: 'segment.review.ndjson' } };

    await mergeSegment(slowReads, 4, { index: 0, ...range0 }, new Ledger(ports.table(LEDGER_TABLE)).chunks(JOB_ID, range0), again);

    expect(mostAtOnce).toBe(CHUNKS_READ_AHEAD + 1);
    expect(await text(again.data)).toBe(merged);
    expect(reading).toBe(0);

    // A merge that stops at a gap closes the chunks it opened ahead, and stores nothing.
    await putChunk(
      7,
      chunkRows(7).map((row) => ({ ...row, row: row.row + 1 })),
    );
    const failed = { data: { bucket: 'again', key: 'failed.csv' }, review: { bucket: 'again', key: 'failed.review.ndjson' } };
    await expect(
      mergeSegment(slowReads, 4, { index: 0, ...range0 }, new Ledger(ports.table(LEDGER_TABLE)).chunks(JOB_ID, range0), failed),
    ).rejects.toThrow('row 22 expected, chunk 8 has row 23');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reading).toBe(0);
    expect(await ports.objects.head(failed.data)).toBeUndefined();
  });
});
