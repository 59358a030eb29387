import { createTestPorts, type TestPorts } from '@refinery/test-support';
import { CHUNKS_PER_SHARD, type ChunkRecord, Ledger, shardCount } from '../src/domain/ledger';

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

/** A deterministic shuffle (mulberry32), so a failing order can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

const ascending = Array.from({ length: TOTAL }, (_, i) => i);

/** Records chunks in the given order; returns the positions (in that order) at which recordChunk said "all in". */
async function recordAll(ledger: Ledger, order: readonly number[]): Promise<number[]> {
  const allIn: number[] = [];
  for (const [position, index] of order.entries()) {
    if (await ledger.recordChunk(JOB, TOTAL, record(index))) allIn.push(position);
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
    expect(await ledger.recordChunk(JOB, TOTAL, record(last))).toBe(true);
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
    for await (const chunk of ledger.chunks(JOB)) indexes.push(chunk.index);

    expect(indexes).toEqual(ascending);
  });

  it('counts a job of 0 chunks as all recorded, and one with nothing recorded as not', async () => {
    const ledger = new Ledger(ports.table('merger-ledger'));
    expect(await ledger.allChunksRecorded(JOB, 0)).toBe(true);
    expect(await ledger.allChunksRecorded(JOB, TOTAL)).toBe(false);
  });
});
