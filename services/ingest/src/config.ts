import type { ObjectStore, Table } from '@refinery/ports';
import type { CommonDeps, TokenRegistry } from '@refinery/runtime';

export interface IngestConfig {
  /** Bucket that receives uploads; S3 "Object Created" events from it start jobs. */
  readonly uploadsBucket: string;
  /** Lifetime of presigned upload URLs. */
  readonly uploadUrlTtlSeconds: number;
  /** Lifetime of presigned result URLs (GET /jobs/{id}/result redirects to one). */
  readonly resultUrlTtlSeconds: number;
  /**
   * How long `POST /contacts/match` waits for its one-row job before answering 202 with the job to poll. At most
   * {@link maxContactMatchDeadlineMs} of the API function's timeout.
   */
  readonly contactMatchDeadlineMs: number;
  /**
   * The shortest time between two `job.progressed.v1` of one job (the latest state is always published, at most this
   * much later). 0 publishes after every batch of events.
   */
  readonly progressIntervalMs: number;
}

export const DEFAULT_INGEST_CONFIG: Omit<IngestConfig, 'uploadsBucket'> = {
  uploadUrlTtlSeconds: 3600,
  resultUrlTtlSeconds: 900,
  contactMatchDeadlineMs: 10_000,
  progressIntervalMs: 250,
};

/** The longest progress interval: a history batch may wait this long per job for the publishing slot. */
export const MAX_PROGRESS_INTERVAL_MS = 10_000;

/**
 * What `POST /contacts/match` keeps of the API function's time for itself, besides the wait: creating the job before
 * and reading the result after it (and a cold start). API Gateway gives up on an integration after 30 s at most.
 */
export const CONTACT_MATCH_HEADROOM_MS = 4_000;

/** The longest contact-match deadline an API function with this timeout can honour. */
export function maxContactMatchDeadlineMs(httpTimeoutSeconds: number): number {
  return httpTimeoutSeconds * 1000 - CONTACT_MATCH_HEADROOM_MS;
}

/** Refuses, at start-up, a configuration the API function cannot honour. */
export function checkIngestConfig(config: IngestConfig, httpTimeoutSeconds: number): void {
  const max = maxContactMatchDeadlineMs(httpTimeoutSeconds);
  if (!Number.isInteger(config.contactMatchDeadlineMs) || config.contactMatchDeadlineMs < 1 || config.contactMatchDeadlineMs > max) {
    throw new Error(
      `invalid ingest configuration: contactMatchDeadlineMs must be an integer from 1 to ${max} ` +
        `(the API function times out after ${httpTimeoutSeconds} s and needs ${CONTACT_MATCH_HEADROOM_MS} ms besides the wait), ` +
        `got ${config.contactMatchDeadlineMs}`,
    );
  }
  if (!Number.isInteger(config.progressIntervalMs) || config.progressIntervalMs < 0 || config.progressIntervalMs > MAX_PROGRESS_INTERVAL_MS) {
    throw new Error(
      `invalid ingest configuration: progressIntervalMs must be an integer from 0 to ${MAX_PROGRESS_INTERVAL_MS}, got ${config.progressIntervalMs}`,
    );
  }
}

export interface IngestDeps extends CommonDeps {
  readonly config: IngestConfig;
  readonly objects: ObjectStore;
  /** The jobs table: job histories and idempotency keys. */
  readonly jobs: Table;
  readonly tokens: TokenRegistry;
  /** Waits (the progress publisher waits for a job's publishing slot); default: a real timer. Tests pass a fake one. */
  readonly sleep?: (ms: number) => Promise<void>;
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
