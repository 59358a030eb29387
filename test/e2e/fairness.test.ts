import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CHUNKER_CONFIG } from '@refinery/chunker';
import { writeDataset } from '@refinery/synthetic-data';
import { startTestApp, type TestApp, waitForJob } from '../support/app';

// A small job must not wait behind a big one. The chunker releases at most `chunkWindow` chunks of a job to the
// matcher at a time, so a job submitted later queues behind at most that many chunks of the running one. This runs
// the real pipeline on the embedded runtime and asserts ORDER, read from the local event log (its sequence numbers),
// never time: a loaded machine slows every service of the process alike, but does not reorder queues.
//
// bench/fairness-bench.ts measures the same thing in seconds (docs/performance.md, "Fairness").

jest.setTimeout(300_000);

const CHUNK_ROWS = 200;
const BIG_CHUNKS = 80;
const WINDOW = DEFAULT_CHUNKER_CONFIG.chunkWindow;

interface Books {
  readonly dir: string;
  readonly directory: string;
  readonly big: Buffer;
  readonly small: Buffer;
}

async function books(): Promise<Books> {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-fairness-'));
  const big = await writeDataset({ seed: 4, directorySize: 1000, bookSize: CHUNK_ROWS * BIG_CHUNKS, dir: join(dir, 'big') });
  const small = await writeDataset({ seed: 5, directorySize: 1000, bookSize: CHUNK_ROWS, dir: join(dir, 'small') });
  return { dir, directory: big.directoryPath, big: readFileSync(big.bookPath), small: readFileSync(small.bookPath) };
}

interface Race {
  readonly bigJobId: string;
  readonly smallJobId: string;
  /** Big-job chunks matched (chunk.matched.v1 in the event log) before each moment. */
  readonly bigMatchedAtSubmit: number;
  readonly bigMatchedWhenSmallPlanned: number;
  readonly bigMatchedWhenSmallMatched: number;
  readonly bigMatchedWhenSmallCompleted: number;
}

/** The big job (tenant acme), then, once its first chunk is matched, the one-chunk job (tenant globex); both to the end. */
async function race(t: TestApp, input: Books): Promise<Race> {
  const log = t.app.runtime.bus;
  const matchedSeqs = (jobId: string): number[] => {
    const seqs: number[] = [];
    for (let afterSeq = 0; ; ) {
      const page = log.history({ jobId, afterSeq, limit: 1000 });
      for (const logged of page) if (logged.detailType === 'chunk.matched.v1') seqs.push(logged.seq);
      if (page.length < 1000) return seqs;
      afterSeq = page.at(-1)!.seq;
    }
  };
  const seqOf = (jobId: string, type: string): number => {
    const found = log.history({ jobId, limit: 1000 }).find((logged) => logged.detailType === type);
    if (!found) throw new Error(`job ${jobId} has no ${type}`);
    return found.seq;
  };

  const { jobId: bigJobId } = await t.acme.submitCsv(input.big, `?chunkRows=${CHUNK_ROWS}&filename=big.csv`);
  const deadline = Date.now() + 120_000;
  while (matchedSeqs(bigJobId).length === 0) {
    if (Date.now() > deadline) throw new Error('the big job never got its first chunk matched');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const bigMatchedAtSubmit = matchedSeqs(bigJobId).length;
  const { jobId: smallJobId } = await t.globex.submitCsv(input.small, `?chunkRows=${CHUNK_ROWS}&filename=small.csv`);

  const small = await waitForJob(t.globex, smallJobId, 120_000);
  expect(small).toMatchObject({ status: 'completed', rows: { total: CHUNK_ROWS, done: CHUNK_ROWS }, chunks: { total: 1, done: 1 } });
  const big = await waitForJob(t.acme, bigJobId, 240_000);
  expect(big).toMatchObject({
    status: 'completed',
    rows: { total: CHUNK_ROWS * BIG_CHUNKS, done: CHUNK_ROWS * BIG_CHUNKS },
    chunks: { total: BIG_CHUNKS, done: BIG_CHUNKS },
  });

  const bigMatched = matchedSeqs(bigJobId);
  expect(bigMatched).toHaveLength(BIG_CHUNKS);
  const before = (seq: number): number => bigMatched.filter((matched) => matched < seq).length;
  return {
    bigJobId,
    smallJobId,
    bigMatchedAtSubmit,
    bigMatchedWhenSmallPlanned: before(seqOf(smallJobId, 'chunk.planned.v1')),
    bigMatchedWhenSmallMatched: before(seqOf(smallJobId, 'chunk.matched.v1')),
    bigMatchedWhenSmallCompleted: before(seqOf(smallJobId, 'job.completed.v1')),
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

  it('without the window, every big chunk is queued ahead of it, and the fair receive of the local queues still serves it next', async () => {
    // The window off, as before it existed: all of the big job's chunks wait in the matcher queue when the small one
    // arrives. FIFO would serve them all first; the local queues serve the job with the fewest messages in flight
    // first (like SQS fair queues), so the small chunk waits only for what the matcher's invocations already hold.
    const t = await startTestApp({ directory: input.directory, settings: { chunker: { chunkWindow: 100_000 } } });
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
