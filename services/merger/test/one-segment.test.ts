import type { chunkLabeledV1, EventData, jobPlannedV1 } from '@refinery/events';
import { noMetrics, type ObjectRef, type ObjectStore } from '@refinery/ports';
import { createTestPorts, sqsEvent, type TestPorts, testContext } from '@refinery/test-support';
import { Ledger, segmentChunks } from '../src/domain/ledger';
import { mergeSegment, mergeWholeResult, segmentRefs } from '../src/domain/merge-result';
import { mergerHandlers } from '../src/service';
import {
  body,
  fixture,
  JOB_ID,
  LABELED_BUCKET,
  LABELED_CHUNKS,
  LEDGER_TABLE,
  labeledKey,
  putLabeledChunk,
  RESULT_KEY,
  RESULTS_BUCKET,
} from './helpers';
import { mergeResult } from './single-pass-merge';

// A job of one segment (the fixtures' 3 chunks; up to 50 by default) has its result written straight from its chunks:
// no segment object, no header object, no compose. Its completion is what a small job waits for last, beside a big one.

const PLANNED = 'job-planned';
const CHUNKS = ['chunk-labeled-0', 'chunk-labeled-1', 'chunk-labeled-2'];
const RESULT = { bucket: RESULTS_BUCKET, key: RESULT_KEY };

let ports: TestPorts;
/** What the merger asked of the object store, in order: the method and the key (or prefix) it named. */
let calls: string[];

beforeEach(async () => {
  ports = createTestPorts();
  calls = [];
  for (const index of [0, 1, 2]) await putLabeledChunk(ports, index);
});

afterEach(() => ports.cleanup());

/** The object store, every write and compose recorded (reads are not: the chunks' reads are the same either way). */
function recordingStore(objects: ObjectStore): ObjectStore {
  const record =
    <A extends unknown[], R>(name: string, method: (...args: A) => Promise<R>, key: (...args: A) => string) =>
    (...args: A): Promise<R> => {
      calls.push(`${name} ${key(...args)}`);
      return method.apply(objects, args);
    };
  return Object.assign(Object.create(objects) as ObjectStore, {
    put: record('put', objects.put, (ref: ObjectRef) => ref.key),
    compose: record('compose', objects.compose, (ref: ObjectRef) => ref.key),
    delete: record('delete', objects.delete, (ref: ObjectRef) => ref.key),
    deletePrefix: record('deletePrefix', objects.deletePrefix, (_bucket: string, prefix: string) => prefix),
  });
}

function progressHandler() {
  return mergerHandlers({
    publisher: ports.publisher,
    clock: ports.clock,
    ids: ports.ids,
    logger: ports.logger,
    metrics: noMetrics,
    config: { resultsBucket: RESULTS_BUCKET },
    objects: recordingStore(ports.objects),
    ledger: ports.table(LEDGER_TABLE),
  }).subscriptions.progress.handler;
}

async function deliver(bodies: readonly string[]) {
  return progressHandler()(sqsEvent(bodies), testContext());
}

const text = async (ref: ObjectRef) => (await ports.objects.getBuffer(ref)).toString('utf8');

/** The previous version's single pass over the same ledger: the bytes the result must have. */
async function singlePassResult(): Promise<string> {
  const ledger = new Ledger(ports.table(LEDGER_TABLE));
  const reference = { bucket: 'reference', key: 'result.csv' };
  await mergeResult(ports.objects, (await ledger.plan(JOB_ID))!, ledger.chunks(JOB_ID, { first: 0, end: 3 }), reference, {
    bucket: 'reference',
    key: 'review.ndjson',
  });
  return text(reference);
}

describe('merger: a job of one segment', () => {
  it('writes the result straight from its chunks, byte for byte as the single pass did: one put, nothing composed or cleaned up', async () => {
    expect((await deliver([PLANNED, ...CHUNKS].map((name) => body(name)))).batchItemFailures).toEqual([]);

    expect(calls).toEqual([`put ${RESULT_KEY}`]);
    expect(ports.publisher.ofType('job.completed.v1')).toHaveLength(1);
    const result = await text(RESULT);
    expect(result).toBe(await singlePassResult());
    expect(result.split('\n')).toHaveLength(LABELED_CHUNKS.flat().length + 2);
    expect(ports.publisher.ofType('job.completed.v1')[0]!.data.result.sizeBytes).toBe(Buffer.byteLength(result));
  });

  it('composes from the segment when an earlier version merged it already, with the same bytes', async () => {
    await deliver([PLANNED, ...CHUNKS.slice(0, 2)].map((name) => body(name)));
    expect(ports.publisher.ofType('job.completed.v1')).toEqual([]);
    // The last chunk recorded and its segment merged as the previous version did, then that version stopped.
    const ledger = new Ledger(ports.table(LEDGER_TABLE));
    const { chunk, rows, result, counts } = fixture<EventData<typeof chunkLabeledV1>>(CHUNKS[2]!).detail.data;
    await ledger.recordChunk(JOB_ID, chunk.count, { index: chunk.index, result, rows, counts });
    const range = segmentChunks(0, 3);
    const refs = segmentRefs(RESULTS_BUCKET, 'acme', JOB_ID, 0);
    await ledger.recordSegment(JOB_ID, await mergeSegment(ports.objects, 4, { index: 0, ...range }, ledger.chunks(JOB_ID, range), refs));
    calls = [];

    // The last chunk's redelivery finds every chunk in and completes the job from the merged segment.
    expect((await deliver([body(CHUNKS[2]!)])).batchItemFailures).toEqual([]);

    expect(calls).toContain(`compose ${RESULT_KEY}`);
    expect(calls.filter((call) => call.startsWith('put ')).map((call) => call.slice(4))).not.toContain(RESULT_KEY);
    expect(await text(RESULT)).toBe(await singlePassResult());
  });

  it('stores no result when the chunks hold fewer rows than planned, and fails the message that completes the job', async () => {
    const planned = body<EventData<typeof jobPlannedV1>>(PLANNED, (event) => {
      event.detail.data.rows.total = 6;
    });
    const response = await deliver([planned, ...CHUNKS.map((name) => body(name))]);

    expect(response.batchItemFailures).toHaveLength(1);
    expect(await ports.objects.head(RESULT)).toBeUndefined();
    expect(ports.publisher.ofType('job.completed.v1')).toEqual([]);
    // Why, as the retries and the dead-letter report will tell it; and the store keeps nothing of the stream.
    const ledger = new Ledger(ports.table(LEDGER_TABLE));
    await expect(
      mergeWholeResult(ports.objects, (await ledger.plan(JOB_ID))!, ledger.chunks(JOB_ID, { first: 0, end: 3 }), {
        target: { bucket: 'elsewhere', key: 'result.csv' },
        review: { bucket: 'elsewhere', key: 'review.ndjson' },
      }),
    ).rejects.toThrow('6 rows planned but 5 merged');
    expect(await ports.objects.head({ bucket: 'elsewhere', key: 'result.csv' })).toBeUndefined();
  });

  it('stores no result when the first chunk does not start at the first row', async () => {
    await ports.objects.put(
      { bucket: LABELED_BUCKET, key: labeledKey(0) },
      LABELED_CHUNKS[0]!.map((row) => `${JSON.stringify({ ...row, row: row.row + 1 })}\n`).join(''),
    );
    const response = await deliver([PLANNED, ...CHUNKS].map((name) => body(name)));

    expect(response.batchItemFailures).toHaveLength(1);
    expect(await ports.objects.head(RESULT)).toBeUndefined();
    expect(ports.publisher.ofType('job.completed.v1')).toEqual([]);
  });
});
