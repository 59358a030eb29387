import type { ObjectStore, Table } from '@refinery/ports';
import type { CommonDeps, TokenRegistry } from '@refinery/runtime';

export interface IngestConfig {
  /** Bucket that receives uploads; S3 "Object Created" events from it start jobs. */
  readonly uploadsBucket: string;
  /** Lifetime of presigned upload URLs. */
  readonly uploadUrlTtlSeconds: number;
  /** Lifetime of presigned result URLs (GET /jobs/{id}/result redirects to one). */
  readonly resultUrlTtlSeconds: number;
}

export const DEFAULT_INGEST_CONFIG: Omit<IngestConfig, 'uploadsBucket'> = {
  uploadUrlTtlSeconds: 3600,
  resultUrlTtlSeconds: 900,
};

export interface IngestDeps extends CommonDeps {
  readonly config: IngestConfig;
  readonly objects: ObjectStore;
  /** The jobs table: job histories and idempotency keys. */
  readonly jobs: Table;
  readonly tokens: TokenRegistry;
}

/** Where a job's input lives; the uploads subscription reads tenant and job back from it. */
export function inputKey(tenantId: string, jobId: string): string {
  return `tenants/${tenantId}/jobs/${jobId}/input.csv`;
}

const INPUT_KEY = /^tenants\/([A-Za-z0-9_.-]+)\/jobs\/([A-Za-z0-9_]+)\/input\.csv$/;

export function parseInputKey(key: string): { tenantId: string; jobId: string } | undefined {
  const match = INPUT_KEY.exec(key);
  return match ? { tenantId: match[1] as string, jobId: match[2] as string } : undefined;
}
