import type { ObjectStore, Table } from '@refinery/ports';
import { type CommonDeps, type SecretSealer, settingDefaults, type TokenRegistry } from '@refinery/runtime';
import { CONTACT_MATCH_HEADROOM_MS, ingest, MAX_PROGRESS_INTERVAL_MS, maxContactMatchDeadlineMs } from './definition';

export { CONTACT_MATCH_HEADROOM_MS, INGEST_HTTP_TIMEOUT_SECONDS, MAX_PROGRESS_INTERVAL_MS, maxContactMatchDeadlineMs } from './definition';

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
  /** A job in the pipeline whose history has not grown for this long is failed by the sweep schedule. */
  readonly stuckJobMinutes: number;
  /** The most bytes one CSV record may take; a header longer is refused (libs/csv CsvLimits). */
  readonly maxRowBytes: number;
  /** The most columns a CSV header may name. */
  readonly maxColumns: number;
}

const defaults = settingDefaults(ingest);

export const DEFAULT_INGEST_CONFIG: Omit<IngestConfig, 'uploadsBucket'> = {
  uploadUrlTtlSeconds: defaults.uploadUrlTtlSeconds,
  resultUrlTtlSeconds: defaults.resultUrlTtlSeconds,
  contactMatchDeadlineMs: defaults.contactMatchDeadlineMs,
  progressIntervalMs: defaults.progressIntervalMs,
  stuckJobMinutes: defaults.stuckJobMinutes,
  maxRowBytes: defaults.maxRowBytes,
  maxColumns: defaults.maxColumns,
};

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
  /** Seals the webhook sources' signing secrets before they are stored (the key-encryption key ring). */
  readonly secrets: SecretSealer;
  /** Waits (the progress publisher waits for a job's publishing slot); default: a real timer. Tests pass a fake one. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export { inputKey, parseInputKey } from './input-key';
