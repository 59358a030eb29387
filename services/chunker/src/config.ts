import type { ObjectStore, Table } from '@refinery/ports';
import type { CommonDeps } from '@refinery/runtime';

export interface ChunkerConfig {
  /**
   * Rows per chunk when the job does not say. 1,000 rows keeps a chunk's matching well inside one Lambda invocation
   * even with a provider that answers in tens of milliseconds, and a million-row book is a thousand messages.
   */
  readonly defaultChunkRows: number;
  /** A chunk also closes at this many bytes, so a file of very wide rows cannot make a matcher run out of memory. */
  readonly maxChunkBytes: number;
  /** chunk.planned.v1 events per publish call. */
  readonly publishBatchSize: number;
  /**
   * Chunks of one job released to the matcher at a time (the job's window). The first `chunkWindow` chunks are
   * published when the job is planned; each chunk.matched.v1 of chunk i releases chunk i + chunkWindow. So at most this
   * many chunks of a job wait or run at the matcher, and a job submitted later queues behind at most this many chunks
   * of each running job instead of behind all of them.
   */
  readonly chunkWindow: number;
}

export const DEFAULT_CHUNKER_CONFIG: ChunkerConfig = {
  defaultChunkRows: 1000,
  maxChunkBytes: 8 * 1024 * 1024,
  publishBatchSize: 100,
  chunkWindow: 8,
};

export interface ChunkerDeps extends CommonDeps {
  readonly config: ChunkerConfig;
  readonly objects: ObjectStore;
  /**
   * The chunker's plans table: every planned chunk of a job (its chunk.planned.v1, as published), so the chunks beyond
   * the window can be released later, each with its own derived event id.
   */
  readonly plans: Table;
}
