import { createTestPorts, type TestPorts } from '@refinery/test-support';
import { CHUNKS_PER_SHARD, type ChunkRecord, chunksPerSegment, Ledger, segmentChunks, segmentCount, shardCount } from '../src/domain/ledger';
import { shuffled } from './helpers';

// More than two full shards and one more chunk: shard 0 and 1 hold 500 chunks each, shard 2 holds one.
const TOTAL = 2 * CHUNKS_PER_SHARD + 1;
const JOB = 'job_01JDZ8Q4K9M3T7V2X5B6N8P0RS';

let ports: TestPorts;

beforeEach(() => {
  ports = createTestPorts();
});

afterEach(() => ports.cleanup());

function record(index: number): ChunkRecord {
  return {
    index,
    result: { bucket: 'labeler-chunks', key: `tenants/acme/jobs/${JOB}/labeled/${String(index).padStart(9, '0')}.ndjson` },
    rows: { first: index * 10, count: 10 },
    counts: { matched: 7, unmatched: 2, invalid: 1, byMethod: { exact: 5, fuzzy: 1, nickname: 1 } },
  };
}

const ascending = Array.from({ length: TOTAL }, (_, i) => i);

/** Records chunks in the given order; returns the positions (in that order) at which recordChunk said "all in". */
async function recordAll(ledger: Ledger, order: readonly number[]): Promise<number[]> {
  const allIn: number[] = [];
  for (const [position, index] of order.entries()) {
    if ((await ledger.recordChunk(JOB, TOTAL, record(index))).allIn) allIn.push(position);
  }
  return allIn;
}

describe('Ledger completion shards', () => {
  it('splits 1,001 chunks into 3 shards', () => {
    expect(CHUNKS_PER_SHARD).toBe(500);
    expect(shardCount(TOTAL)).toBe(3);
    expect(shardCount(2 * CHUNKS_PER_SHARD)).toBe(2);
    expect(shardCount(0)).toBe(0);
  });

  it.each([
    ['ascending', ascending],
    ['descending', [...ascending].reverse()],
    ['shuffled (seed 1)', shuffled(ascending, 1)],
    ['shuffled (seed 42)', shuffled(ascending, 42)],
    // The lone chunk of the last shard first, then shard 0, then shard 1: full shards pile up before the end.
    ['last shard first', [TOTAL - 1, ...ascending.slice(0, TOTAL - 1)]],
  ])('reports completion exactly once, on the last chunk, in %s order', async (_name, order) => {
    const ledger = new Ledger(ports.table('merger-ledger'));

    const allIn = await recordAll(ledger, order);

    expect(allIn).toEqual([TOTAL - 1]);
    expect(await ledger.allChunksRecorded(JOB, TOTAL)).toBe(true);
  });

  it('never reports completion early, even with duplicates of chunks in full shards, and ignores duplicates', async () => {
    const ledger = new Ledger(ports.table('merger-ledger'));
    // Every chunk but the last to arrive, delivered twice (shuffled), then the missing one.
    const order = shuffled(ascending, 7);
    const last = order.pop() as number;
    const withDuplicates = shuffled([...order, ...order], 8);

    const early = await recordAll(ledger, withDuplicates);

    expect(early).toEqual([]);
    expect(await ledger.allChunksRecorded(JOB, TOTAL)).toBe(false);
    expect((await ledger.recordChunk(JOB, TOTAL, record(last))).allIn).toBe(true);
    expect(await ledger.allChunksRecorded(JOB, TOTAL)).toBe(true);
  });

  it('a duplicate of the last chunk of one full shard does not complete a job whose other shards are not full', async () => {
    const ledger = new Ledger(ports.table('merger-ledger'));
    const firstShard = ascending.slice(0, CHUNKS_PER_SHARD);
    const allIn = await recordAll(ledger, [...firstShard, ...firstShard, ...ascending.slice(CHUNKS_PER_SHARD, TOTAL - 1)]);

    expect(allIn).toEqual([]);
    expect(await ledger.allChunksRecorded(JOB, TOTAL)).toBe(false);
  });

  it('reads every chunk record back in chunk order, across pages', async () => {
    const ledger = new Ledger(ports.table('merger-ledger'));
    await recordAll(ledger, shuffled(ascending, 3));

    const indexes: number[] = [];
    for await (const chunk of ledger.chunks(JOB, { first: 0, end: TOTAL })) indexes.push(chunk.index);

    expect(indexes).toEqual(ascending);
  });

  it('counts a job of 0 chunks as all recorded, and one with nothing recorded as not', async () => {
    const ledger = new Ledger(ports.table('merger-ledger'));
    expect(await ledger.allChunksRecorded(JOB, 0)).toBe(true);
    expect(await ledger.allChunksRecorded(JOB, TOTAL)).toBe(false);
  });

  it('reads the chunk records of a range of chunks, across pages', async () => {
    const ledger = new Ledger(ports.table('merger-ledger'));
    await recordAll(ledger, shuffled(ascending, 4));

    const indexes: number[] = [];
    for await (const chunk of ledger.chunks(JOB, { first: 450, end: 700 })) indexes.push(chunk.index);

    expect(indexes).toEqual(ascending.slice(450, 700));
  });
});

describe('Ledger segments', () => {
  it('cuts a job into segments of 50 chunks, larger ones past 250,000 chunks so a job has at most 5,000', () => {
    expect(chunksPerSegment(3)).toBe(50);
    expect(chunksPerSegment(250_000)).toBe(50);
    expect(chunksPerSegment(250_001)).toBe(100);
    expect(chunksPerSegment(1_000_000)).toBe(250);
    expect(segmentCount(TOTAL)).toBe(21);
    expect(segmentCount(0)).toBe(0);
    expect(segmentChunks(20, TOTAL)).toEqual({ first: 1000, end: 1001 });
    expect(segmentCount(1_000_000)).toBe(4_000);
    // Every size divides the shard: a segment never spans two shards.
    for (const total of [1, 250_001, 400_000, 1_000_000, 2_500_000]) expect(CHUNKS_PER_SHARD % chunksPerSegment(total)).toBe(0);
  });

  it.each([
    ['ascending', ascending],
    ['shuffled (seed 5)', shuffled(ascending, 5)],
  ])('reports each segment complete on the chunk that completes it, and again on a repeat, in %s order', async (_name, order) => {
    const ledger = new Ledger(ports.table('merger-ledger'));
    const completedAt = new Map<number, number>();
    const seen = new Set<number>();
    for (const index of order) {
      seen.add(index);
      const { segmentComplete } = await ledger.recordChunk(JOB, TOTAL, record(index));
      const segment = Math.floor(index / 50);
      const { first, end } = segmentChunks(segment, TOTAL);
      const segmentIn = Array.from({ length: end - first }, (_, i) => first + i).every((chunk) => seen.has(chunk));
      // Reported exactly when every chunk of the chunk's own segment is in.
      expect(segmentComplete).toBe(segmentIn ? segment : undefined);
      if (segmentIn && !completedAt.has(segment)) completedAt.set(segment, index);
    }
    expect([...completedAt.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect((await ledger.recordChunk(JOB, TOTAL, record(3))).segmentComplete).toBe(0);
  });
});
