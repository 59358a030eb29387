import type { ObjectStore, Table } from '@refinery/ports';
import type { CommonDeps } from '@refinery/runtime';

export interface MergerConfig {
  /** Bucket for result files (users download them through presigned URLs from ingest). */
  readonly resultsBucket: string;
}

export interface MergerDeps extends CommonDeps {
  readonly config: MergerConfig;
  readonly objects: ObjectStore;
  /** The merger's ledger: job plans, chunk completions, completion shards and outcomes. */
  readonly ledger: Table;
}
