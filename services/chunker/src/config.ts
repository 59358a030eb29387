import type { ObjectStore } from '@refinery/ports';
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
}

export const DEFAULT_CHUNKER_CONFIG: ChunkerConfig = {
  defaultChunkRows: 1000,
  maxChunkBytes: 8 * 1024 * 1024,
  publishBatchSize: 100,
};

export interface ChunkerDeps extends CommonDeps {
  readonly config: ChunkerConfig;
  readonly objects: ObjectStore;
}
