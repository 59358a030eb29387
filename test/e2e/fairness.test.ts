import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CHUNKER_CONFIG } from '@refinery/chunker';
import { writeDataset } from '@refinery/synthetic-data';
import { startTestApp, type TestApp, waitForJob } from '../support/app';

// A small job must not wait behind a big one. The chunker releases at most `chunkWindow` chunks of a big job to the
// matcher at a time, so a job submitted later queues behind at most that many chunks of the running one; and a small
// job (at most `expressMaxRows` rows) goes to the matcher's express lane, a queue of its own, all its chunks at once.
// This runs the real pipeline on the embedded runtime and asserts ORDER, read from the local event log (its sequence
// numbers), never time: a loaded machine slows every service of the process alike, but does not reorder queues.
//
// bench/fairness-bench.ts measures the same thing in seconds (docs/performance.md, "Fairness"; docs/scale.md).

jest.setTimeout(300_000);

const CHUNK_ROWS = 200;
const BIG_CHUNKS = 80;
const WINDOW = DEFAULT_CHUNKER_CONFIG.chunkWindow;
/** The small job of the express-lane test: more chunks than a window, so without the lane it needs a second round. */
const SMALL_CHUNKS = WINDOW + 2;

interface Books {
  readonly dir: string;
  readonly directory: string;
  readonly big: Buffer;
  readonly small: Buffer;
  /** SMALL_CHUNKS chunks of CHUNK_ROWS rows. */
  readonly smallMany: Buffer;
}

async function books(): Promise<Books> {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-fairness-'));
  const big = await writeDataset({ seed: 4, directorySize: 1000, bookSize: CHUNK_ROWS * BIG_CHUNKS, dir: join(dir, 'big') });
  const small = await writeDataset({ seed: 5, directorySize: 1000, bookSize: CHUNK_ROWS, dir: join(dir, 'small') });
  const smallMany = await writeDataset({ seed: 6, directorySize: 1000, bookSize: CHUNK_ROWS * SMALL_CHUNKS, dir: join(dir, 'small-many') });
  return {
    dir,
    directory: big.directoryPath,
    big: readFileSync(big.bookPath),
    small: readFileSync(small.bookPath),
    smallMany: readFileSync(smallMany.bookPath),
  };
}

interface Race {
  readonly bigJobId: string;
  readonly smallJobId: string;
  /** Big-job chunks matched (chunk.matched.v1 in the event log) before each moment. */
  readonly bigMatchedAtSubmit: number;
  readonly bigMatchedWhenSmallPlanned: number;
  readonly bigMatchedWhenSmallMatched: number;
  readonly bigMatchedWhenSmallCompleted: number;
  /** Big-job chunks matched between the small job's first chunk.planned.v1 and its last chunk.matched.v1. */
  readonly bigMatchedWhileSmallMatching: number;
  /** The small job's chunk.planned.v1 and chunk.matched.v1, in log order: their sequence numbers. */
  readonly smallPlannedSeqs: readonly number[];
  readonly smallMatchedSeqs: readonly number[];
  /** The lane of every chunk.planned.v1 of each job. */
  readonly lanes: { readonly big: readonly unknown[]; readonly small: readonly unknown[] };
  /** The lane of every chunk.matched.v1 of each job: the labeler's queue each went to. */
  readonly matchedLanes: { readonly big: readonly unknown[]; readonly small: readonly unknown[] };
  /** The lane of every chunk.labeled.v1 of each job: the merger's queue each went to. */
  readonly labeledLanes: { readonly big: readonly unknown[]; readonly small: readonly unknown[] };
  /** The lane of each job's job.planned.v1: the merger's queue its totals went to. */
  readonly plannedJobLanes: { readonly big: readonly unknown[]; readonly small: readonly unknown[] };
}

/** The big job (tenant acme), then, once its first chunk is matched, the small job (tenant globex); both to the end. */
async function race(t: TestApp, input: Books, small: Buffer = input.small): Promise<Race> {
  const log = t.app.runtime.bus;
  const eventsOf = (jobId: string, type: string) => {
    const found = [];
    for (let afterSeq = 0; ; ) {
      const page = log.history({ jobId, afterSeq, limit: 1000 });
      found.push(...page.filter((logged) => logged.detailType === type));
      if (page.length < 1000) return found;
      afterSeq = page.at(-1)!.seq;
    }
  };
  const seqsOf = (jobId: string, type: string): number[] => eventsOf(jobId, type).map((logged) => logged.seq);
  const lanesOf = (jobId: string, type = 'chunk.planned.v1'): unknown[] =>
    eventsOf(jobId, type).map((logged) => (logged.event.detail as { data: { lane?: unknown } }).data.lane);

  const { jobId: bigJobId } = await t.acme.submitCsv(input.big, `?chunkRows=${CHUNK_ROWS}&filename=big.csv`);
  const deadline = Date.now() + 120_000;
  while (seqsOf(bigJobId, 'chunk.matched.v1').length === 0) {
    if (Date.now() > deadline) throw new Error('the big job never got its first chunk matched');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const bigMatchedAtSubmit = seqsOf(bigJobId, 'chunk.matched.v1').length;
  const { jobId: smallJobId } = await t.globex.submitCsv(small, `?chunkRows=${CHUNK_ROWS}&filename=small.csv`);

  const smallRows = small.toString('utf8').trimEnd().split('\n').length - 1;
  const smallJob = await waitForJob(t.globex, smallJobId, 120_000);
  expect(smallJob).toMatchObject({ status: 'completed', rows: { total: smallRows, done: smallRows } });
  const big = await waitForJob(t.acme, bigJobId, 240_000);
  expect(big).toMatchObject({
    status: 'completed',
    rows: { total: CHUNK_ROWS * BIG_CHUNKS, done: CHUNK_ROWS * BIG_CHUNKS },
    chunks: { total: BIG_CHUNKS, done: BIG_CHUNKS },
  });

  const bigMatched = seqsOf(bigJobId, 'chunk.matched.v1');
  expect(bigMatched).toHaveLength(BIG_CHUNKS);
  const before = (seq: number): number => bigMatched.filter((matched) => matched < seq).length;
  const smallPlannedSeqs = seqsOf(smallJobId, 'chunk.planned.v1');
  const smallMatchedSeqs = seqsOf(smallJobId, 'chunk.matched.v1');
  const [completed] = seqsOf(smallJobId, 'job.completed.v1');
  return {
    bigJobId,
    smallJobId,
    bigMatchedAtSubmit,
    bigMatchedWhenSmallPlanned: before(smallPlannedSeqs[0]!),
    bigMatchedWhenSmallMatched: before(smallMatchedSeqs[0]!),
    bigMatchedWhenSmallCompleted: before(completed!),
    bigMatchedWhileSmallMatching: before(smallMatchedSeqs.at(-1)!) - before(smallPlannedSeqs[0]!),
    smallPlannedSeqs,
    smallMatchedSeqs,
    lanes: { big: lanesOf(bigJobId), small: lanesOf(smallJobId) },
    matchedLanes: { big: lanesOf(bigJobId, 'chunk.matched.v1'), small: lanesOf(smallJobId, 'chunk.matched.v1') },
    labeledLanes: { big: lanesOf(bigJobId, 'chunk.labeled.v1'), small: lanesOf(smallJobId, 'chunk.labeled.v1') },
    plannedJobLanes: { big: lanesOf(bigJobId, 'job.planned.v1'), small: lanesOf(smallJobId, 'job.planned.v1') },
  };
}

describe('fairness: a small job submitted behind a big one', () => {
  let input: Books;
  beforeAll(async () => {
    input = await books();
  });
  afterAll(() => rmSync(input.dir, { recursive: true, force: true }));

  it(`completes before the big job (${BIG_CHUNKS} chunks) is half matched: the matcher queue holds at most ${WINDOW} of its chunks`, async () => {
    const t = await startTestApp({ directory: input.directory });
    try {
      const result = await race(t, input);

      // The big job was running and far from done when the small one came.
      expect(result.bigMatchedAtSubmit).toBeGreaterThanOrEqual(1);
      expect(result.bigMatchedAtSubmit).toBeLessThan(BIG_CHUNKS / 4);
      // At the matcher, the small job's chunk waited behind at most the big job's window (plus what the matcher's
      // second invocation finished while the small chunk was being matched).
      expect(result.bigMatchedWhenSmallMatched - result.bigMatchedWhenSmallPlanned).toBeLessThanOrEqual(WINDOW + 2);
      // And the whole small job was done long before the big one.
      expect(result.bigMatchedWhenSmallCompleted).toBeLessThan(BIG_CHUNKS / 2);
    } finally {
      await t.stop();
    }
  });

  it(`a small job of ${SMALL_CHUNKS} chunks (more than a window) goes express: all its chunks at once, matched beside the big job's, not after them`, async () => {
    const t = await startTestApp({ directory: input.directory });
    try {
      const result = await race(t, input, input.smallMany);

      // The lanes the chunker gave: the big job (16,000 rows) bulk, the small one (2,000) express.
      expect(result.lanes.big).toEqual(Array(BIG_CHUNKS).fill('bulk'));
      expect(result.lanes.small).toEqual(Array(SMALL_CHUNKS).fill('express'));
      // And the matcher passed each lane on, so the labeler took the small job's chunks on its express queue too.
      expect(result.matchedLanes.big).toEqual(Array(BIG_CHUNKS).fill('bulk'));
      expect(result.matchedLanes.small).toEqual(Array(SMALL_CHUNKS).fill('express'));
      // The labeler passed it on, and the chunker put it on each job's totals: the merger took the small job's totals and
      // labeled chunks on its express queue, the big job's on its bulk queue.
      expect(result.labeledLanes.big).toEqual(Array(BIG_CHUNKS).fill('bulk'));
      expect(result.labeledLanes.small).toEqual(Array(SMALL_CHUNKS).fill('express'));
      expect(result.plannedJobLanes).toEqual({ big: ['bulk'], small: ['express'] });
      // Released whole: every chunk of the small job was published before the first of them was matched (with a window
      // of 8, chunks 9 and 10 waited for a second round: planned only after the first ones were matched).
      expect(result.smallPlannedSeqs).toHaveLength(SMALL_CHUNKS);
      expect(Math.max(...result.smallPlannedSeqs)).toBeLessThan(Math.min(...result.smallMatchedSeqs));
      // Within 2 x its time alone, as an order: on its own queue and workers (as many as the bulk lane's), the small
      // job's chunks were matched beside the big job's, taking at least about half of the matcher meanwhile: the big
      // job matched at most as many chunks as the small one has (plus the two its workers held when the small one came,
      // and a round of slack for how the one thread interleaves them). Queued behind the big job instead, it would
      // have seen every chunk of the big job's windows matched first.
      expect(result.bigMatchedWhileSmallMatching).toBeLessThanOrEqual(SMALL_CHUNKS + 2 + 2);
      expect(result.bigMatchedWhenSmallCompleted).toBeLessThan(BIG_CHUNKS / 2);
    } finally {
      await t.stop();
    }
  });

  it('without the window, every big chunk is queued ahead of it, and the fair receive of the local queues still serves it next', async () => {
    // The window off, as before it existed, and the express lane off too: all of the big job's chunks wait in the
    // matcher queue the small one goes to. FIFO would serve them all first; the local queues serve the job with the
    // fewest messages in flight first (like SQS fair queues), so the small chunk waits only for what the matcher's
    // invocations already hold.
    const t = await startTestApp({ directory: input.directory, settings: { chunker: { chunkWindow: 100_000, expressMaxRows: 0 } } });
    try {
      const result = await race(t, input);

      expect(result.bigMatchedAtSubmit).toBeLessThan(BIG_CHUNKS / 4);
      expect(result.bigMatchedWhenSmallMatched - result.bigMatchedWhenSmallPlanned).toBeLessThanOrEqual(4);
      expect(result.bigMatchedWhenSmallCompleted).toBeLessThan(BIG_CHUNKS / 2);
    } finally {
      await t.stop();
    }
  });
});
