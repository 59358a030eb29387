import { hkdfSync } from 'node:crypto';
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
  /** Days a job's data is kept: the retention schedule erases older jobs, and ingest's job items expire then. */
  readonly retentionDays: number;
  /** The largest input: presigned upload URLs are signed for the size declared, which may not exceed this. */
  readonly maxUploadBytes: number;
  /** The smallest part of a multipart upload but the last (S3: 5 MiB); larger files get larger parts (10,000 at most). */
  readonly minUploadPartBytes: number;
  /** The largest `chunkRows` a job may ask for: what one matcher invocation looks up in time at the providers' rate. */
  readonly maxChunkRows: number;
  /** A tenant's jobs created and not yet ended; one more is refused (429). */
  readonly maxJobsInFlight: number;
  /** Jobs a tenant may create per clock minute; more are refused (429). */
  readonly maxJobsPerMinute: number;
  /** A tenant's CRM webhook sources. */
  readonly maxWebhookSources: number;
  /** A job still waiting for its upload this long after its creation is failed by the sweep schedule. */
  readonly uploadExpiryMinutes: number;
  /** The HMAC key of the `GET /jobs/{id}/rows` cursors (at least 32 bytes): see deriveCursorSigningKey. */
  readonly cursorSigningKey: Buffer;
  /** The most bytes one CSV record may take; a header longer is refused (libs/csv CsvLimits). */
  readonly maxRowBytes: number;
  /** The most columns a CSV header may name. */
  readonly maxColumns: number;
}

const defaults = settingDefaults(ingest);

/** Every setting with a default (the bucket and the cursor key are each deployment's own). */
export const DEFAULT_INGEST_CONFIG: Omit<IngestConfig, 'uploadsBucket' | 'cursorSigningKey'> = {
  uploadUrlTtlSeconds: defaults.uploadUrlTtlSeconds,
  resultUrlTtlSeconds: defaults.resultUrlTtlSeconds,
  contactMatchDeadlineMs: defaults.contactMatchDeadlineMs,
  progressIntervalMs: defaults.progressIntervalMs,
  stuckJobMinutes: defaults.stuckJobMinutes,
  retentionDays: defaults.retentionDays,
  maxUploadBytes: defaults.maxUploadBytes,
  minUploadPartBytes: defaults.minUploadPartBytes,
  maxChunkRows: defaults.maxChunkRows,
  maxJobsInFlight: defaults.maxJobsInFlight,
  maxJobsPerMinute: defaults.maxJobsPerMinute,
  maxWebhookSources: defaults.maxWebhookSources,
  uploadExpiryMinutes: defaults.uploadExpiryMinutes,
  maxRowBytes: defaults.maxRowBytes,
  maxColumns: defaults.maxColumns,
};

/**
 * The key that signs rows cursors, derived (HKDF-SHA256, its own label) from the stage's newest key-encryption key: no
 * other secret to deploy, and a key used for nothing but cursors. Rotating the key-encryption key invalidates the cursors
 * handed out before (a 400: the client pages again from the start); they are short-lived anyway.
 */
export function deriveCursorSigningKey(keyEncryptionKeys: readonly Buffer[]): Buffer {
  const [newest] = keyEncryptionKeys;
  if (!newest) throw new Error('invalid ingest configuration: no key-encryption key to derive the rows cursor key from');
  return Buffer.from(hkdfSync('sha256', newest, Buffer.alloc(0), 'refinery ingest rows cursor v1', 32));
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
  // A job must not expire while its upload URL still works: the upload would land on a failed job.
  if (config.uploadExpiryMinutes * 60 < config.uploadUrlTtlSeconds) {
    throw new Error(
      `invalid ingest configuration: uploadExpiryMinutes (${config.uploadExpiryMinutes}) must be at least the upload URL lifetime ` +
        `(uploadUrlTtlSeconds ${config.uploadUrlTtlSeconds} = ${Math.ceil(config.uploadUrlTtlSeconds / 60)} minutes)`,
    );
  }
  if (config.cursorSigningKey.length < 32) {
    throw new Error(`invalid ingest configuration: cursorSigningKey must be at least 32 bytes, got ${config.cursorSigningKey.length}`);
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
  /**
   * Why the platform's work is paused now, if it is: a fault of the machine (the local mode's data dir is full or
   * cannot be written), which `GET /jobs/{id}` shows on every job still in the pipeline. Absent on AWS.
   */
  readonly workPaused?: () => WorkPause | undefined;
}

/** A pause of every job's work by a fault of the machine: what is wrong and what to do, and since when. */
export interface WorkPause {
  readonly reason: string;
  readonly since: Date;
}

export { inputKey, parseInputKey } from './input-key';
