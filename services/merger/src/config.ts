import type { ObjectStore, Table } from '@refinery/ports';
import type { CommonDeps } from '@refinery/runtime';

export interface MergerConfig {
  /** Bucket for result files (users download them through presigned URLs from ingest). */
  readonly resultsBucket: string;
  /** Days the ledger's items of a job live (their expiresAt); default DEFAULT_RETENTION_DAYS. */
  readonly retentionDays?: number;
}

export interface MergerDeps extends CommonDeps {
  readonly config: MergerConfig;
  readonly objects: ObjectStore;
  /** The merger's ledger: job plans, chunk completions, completion shards and outcomes. */
  readonly ledger: Table;
}
