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

export type Outcome = { status: 'completed'; eventId: string } | { status: 'failed'; reason: string; causeEventId: string };

const pk = (jobId: string): string => `job#${jobId}`;
const chunkSk = (index: number): string => `chunk#${String(index).padStart(9, '0')}`;
const shardSk = (shard: number): string => `shard#${String(shard).padStart(6, '0')}`;

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
   * Records a finished chunk and returns whether, as far as this call can tell, every chunk of the job is now in.
   * Safe to call any number of times for the same chunk.
   */
  async recordChunk(jobId: string, totalChunks: number, chunk: ChunkRecord): Promise<boolean> {
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
    if ((updated.done as string[]).length < shardSize(shard, totalChunks)) return false;
    const shards = await this.table.update(
      { pk: pk(jobId), sk: 'shards' },
      { addToSet: { full: [String(shard)] }, set: { expiresAt: this.expiresAt() } },
    );
    return (shards.full as string[]).length >= shardCount(totalChunks);
  }

  /** Whether every chunk is recorded (read side of recordChunk, for the job.planned path). */
  async allChunksRecorded(jobId: string, totalChunks: number): Promise<boolean> {
    if (totalChunks === 0) return true;
    const shards = await this.table.get({ pk: pk(jobId), sk: 'shards' });
    return ((shards?.full as string[] | undefined)?.length ?? 0) >= shardCount(totalChunks);
  }

  /** Every chunk record of a job, in chunk (and so row) order, read page by page. */
  chunks(jobId: string): AsyncGenerator<ChunkRecord> {
    return (async function* (table: Table) {
      for await (const item of queryAll(table, pk(jobId), { beginsWith: 'chunk#' })) yield item as unknown as ChunkRecord;
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
