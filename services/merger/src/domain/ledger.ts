import type { ColumnData, MatchCountsData, ObjectRefData } from '@refinery/events';
import { type Clock, ConditionFailedError, deletePartition, queryAll, systemClock, type Table } from '@refinery/ports';
import { DEFAULT_RETENTION_DAYS } from '@refinery/runtime';

/**
 * Chunks per completion shard. A job's chunks are split into contiguous shards; each shard item holds the SET of its
 * finished chunk indexes, and one job item holds the set of full shards. Set additions are idempotent (a duplicate
 * delivery adds nothing), need no condition (so no conflicts between concurrent completions), and spread a job of
 * 100,000 chunks over 200 shard items instead of funnelling every completion through one hot item.
 */
export const CHUNKS_PER_SHARD = 500;

/**
 * Segments: contiguous runs of a job's chunks, each merged into an object of its own by the invocation whose chunk
 * completes it (while the job still runs), and composed into the result at the end (ObjectStore.compose: server-side
 * on S3). A segment lies within one shard (its size divides CHUNKS_PER_SHARD), so the shard's set, which recording a
 * chunk returns anyway, tells whether the segment is complete: no extra write per chunk. 50 chunks of the default
 * 1,000 rows are ~17 MB of CSV: above S3's 5 MiB smallest part, so composing copies it server-side, and a second or
 * two of merging. A job of more than 250,000 chunks gets larger segments, so it has at most 5,000 of them (S3 allows
 * 10,000 parts per object).
 */
const SEGMENT_SIZES = [50, 100, 125, 250, CHUNKS_PER_SHARD] as const;
const MAX_SEGMENTS = 5_000;

/** Chunks per segment of a job of `totalChunks` chunks (the same for every chunk of the job: it knows the total). */
export function chunksPerSegment(totalChunks: number): number {
  return SEGMENT_SIZES.find((size) => Math.ceil(totalChunks / size) <= MAX_SEGMENTS) ?? CHUNKS_PER_SHARD;
}

export function segmentCount(totalChunks: number): number {
  return Math.ceil(totalChunks / chunksPerSegment(totalChunks));
}

/** The chunks [first, end) of segment `index`. */
export function segmentChunks(index: number, totalChunks: number): { first: number; end: number } {
  const size = chunksPerSegment(totalChunks);
  return { first: index * size, end: Math.min((index + 1) * size, totalChunks) };
}

export interface JobPlanRecord {
  readonly tenantId: string;
  readonly correlationId: string;
  readonly columns: readonly ColumnData[];
  readonly rows: number;
  readonly chunks: number;
}

export interface ChunkRecord {
  readonly index: number;
  readonly result: ObjectRefData;
  readonly rows: { first: number; count: number };
  readonly counts: MatchCountsData;
  /** The job's linkage model the chunk was matched with (kept beside a review queue). */
  readonly model?: ObjectRefData;
}

/** A merged segment: where its rows and review items are, and their totals (summed when the job is composed). */
export interface SegmentRecord {
  readonly index: number;
  readonly firstRow: number;
  readonly rows: number;
  readonly counts: MatchCountsData;
  readonly data: ObjectRefData;
  /** The segment's rows in review (NDJSON), when it has any. */
  readonly review?: { readonly ref: ObjectRefData; readonly count: number };
  /** The linkage model of the segment's first chunk that names one. */
  readonly model?: ObjectRefData;
}

/** What recording a chunk tells its caller. */
export interface ChunkRecorded {
  /** The chunk's segment, when every chunk of it is recorded. */
  readonly segmentComplete?: number;
  /** Every chunk of the job is recorded, as far as this call can tell. */
  readonly allIn: boolean;
}

export type Outcome = { status: 'completed'; eventId: string } | { status: 'failed'; reason: string; causeEventId: string };

const pk = (jobId: string): string => `job#${jobId}`;
const chunkSk = (index: number): string => `chunk#${String(index).padStart(9, '0')}`;
const shardSk = (shard: number): string => `shard#${String(shard).padStart(6, '0')}`;
const segmentSk = (segment: number): string => `segment#${String(segment).padStart(6, '0')}`;

export function shardCount(chunks: number): number {
  return Math.ceil(chunks / CHUNKS_PER_SHARD);
}

function shardSize(shard: number, chunks: number): number {
  return Math.min(CHUNKS_PER_SHARD, chunks - shard * CHUNKS_PER_SHARD);
}

export class Ledger {
  /**
   * @param clock and `retentionDays`: every item written carries `expiresAt` (epoch seconds), the retention period
   * after it was written, so DynamoDB deletes a job's ledger even if its erasure never ran.
   */
  constructor(
    private readonly table: Table,
    private readonly clock: Clock = systemClock,
    private readonly retentionDays: number = DEFAULT_RETENTION_DAYS,
  ) {}

  private expiresAt(): number {
    return Math.floor(this.clock.now().getTime() / 1000) + this.retentionDays * 86_400;
  }

  /** Deletes every item of the job (its erasure); returns how many. */
  async erase(jobId: string): Promise<number> {
    return deletePartition(this.table, pk(jobId));
  }

  async recordPlan(jobId: string, plan: JobPlanRecord): Promise<void> {
    await this.table.put({ pk: pk(jobId), sk: 'plan', ...plan, columns: plan.columns.map((c) => ({ ...c })), expiresAt: this.expiresAt() });
  }

  async plan(jobId: string): Promise<JobPlanRecord | undefined> {
    const item = await this.table.get({ pk: pk(jobId), sk: 'plan' });
    return item as unknown as JobPlanRecord | undefined;
  }

  /**
   * Records a finished chunk and returns whether, as far as this call can tell, its segment and every chunk of the
   * job are now in. Safe to call any number of times for the same chunk: a repeat reports the same.
   */
  async recordChunk(jobId: string, totalChunks: number, chunk: ChunkRecord): Promise<ChunkRecorded> {
    await this.table.put({
      pk: pk(jobId),
      sk: chunkSk(chunk.index),
      index: chunk.index,
      result: { ...chunk.result },
      rows: { ...chunk.rows },
      counts: { ...chunk.counts, byMethod: { ...chunk.counts.byMethod } },
      ...(chunk.model ? { model: { ...chunk.model } } : {}),
      expiresAt: this.expiresAt(),
    });
    const shard = Math.floor(chunk.index / CHUNKS_PER_SHARD);
    const updated = await this.table.update(
      { pk: pk(jobId), sk: shardSk(shard) },
      { addToSet: { done: [String(chunk.index)] }, set: { expiresAt: this.expiresAt() } },
    );
    const done = updated.done as string[];
    const segment = Math.floor(chunk.index / chunksPerSegment(totalChunks));
    const { first, end } = segmentChunks(segment, totalChunks);
    const inShard = new Set(done);
    let segmentIn = true;
    for (let index = first; index < end && segmentIn; index += 1) segmentIn = inShard.has(String(index));
    const segmentComplete = segmentIn ? { segmentComplete: segment } : {};
    if (done.length < shardSize(shard, totalChunks)) return { ...segmentComplete, allIn: false };
    const shards = await this.table.update(
      { pk: pk(jobId), sk: 'shards' },
      { addToSet: { full: [String(shard)] }, set: { expiresAt: this.expiresAt() } },
    );
    return { ...segmentComplete, allIn: (shards.full as string[]).length >= shardCount(totalChunks) };
  }

  /** Whether every chunk is recorded (read side of recordChunk, for the job.planned path). */
  async allChunksRecorded(jobId: string, totalChunks: number): Promise<boolean> {
    if (totalChunks === 0) return true;
    const shards = await this.table.get({ pk: pk(jobId), sk: 'shards' });
    return ((shards?.full as string[] | undefined)?.length ?? 0) >= shardCount(totalChunks);
  }

  /** The chunk records of chunks [first, end) of a job, in chunk (and so row) order, read page by page. */
  chunks(jobId: string, range: { first: number; end: number }): AsyncGenerator<ChunkRecord> {
    return (async function* (table: Table) {
      let after = range.first > 0 ? chunkSk(range.first - 1) : undefined;
      do {
        const page = await table.query(pk(jobId), { beginsWith: 'chunk#', ...(after ? { after } : {}), limit: 100 });
        for (const item of page.items) {
          const chunk = item as unknown as ChunkRecord;
          if (chunk.index >= range.end) return;
          yield chunk;
        }
        after = page.lastKey;
      } while (after !== undefined);
    })(this.table);
  }

  async recordSegment(jobId: string, segment: SegmentRecord): Promise<void> {
    await this.table.put({
      pk: pk(jobId),
      sk: segmentSk(segment.index),
      index: segment.index,
      firstRow: segment.firstRow,
      rows: segment.rows,
      counts: { ...segment.counts, byMethod: { ...segment.counts.byMethod } },
      data: { ...segment.data },
      ...(segment.review ? { review: { ref: { ...segment.review.ref }, count: segment.review.count } } : {}),
      ...(segment.model ? { model: { ...segment.model } } : {}),
      expiresAt: this.expiresAt(),
    });
  }

  async segment(jobId: string, index: number): Promise<SegmentRecord | undefined> {
    return (await this.table.get({ pk: pk(jobId), sk: segmentSk(index) })) as unknown as SegmentRecord | undefined;
  }

  /** Every merged segment of a job, in segment (and so row) order, read page by page. */
  segments(jobId: string): AsyncGenerator<SegmentRecord> {
    return (async function* (table: Table) {
      for await (const item of queryAll(table, pk(jobId), { beginsWith: 'segment#' })) yield item as unknown as SegmentRecord;
    })(this.table);
  }

  async outcome(jobId: string): Promise<Outcome | undefined> {
    return (await this.table.get({ pk: pk(jobId), sk: 'outcome' })) as unknown as Outcome | undefined;
  }

  async recordCompleted(jobId: string, eventId: string): Promise<void> {
    // Completion wins over an earlier failure: a failed chunk that was redriven and finished completes the job.
    await this.table.put({ pk: pk(jobId), sk: 'outcome', status: 'completed', eventId, expiresAt: this.expiresAt() });
  }

  /**
   * Records a failure unless the job already has an outcome. Returns the outcome that holds afterwards: the caller
   * reports the failure only when it is its own (the first failure wins; a repeat of it is recognised by its cause).
   */
  async recordFailed(jobId: string, reason: string, causeEventId: string): Promise<Outcome> {
    const outcome: Outcome = { status: 'failed', reason, causeEventId };
    try {
      await this.table.put({ pk: pk(jobId), sk: 'outcome', ...outcome, expiresAt: this.expiresAt() }, { condition: { kind: 'itemNotExists' } });
      return outcome;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      return (await this.outcome(jobId)) as Outcome;
    }
  }
}
