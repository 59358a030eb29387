import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { headerProbeBytes, transcodeUtf16ToUtf8, type Utf16Encoding, utf16ByteOrder } from '@refinery/csv';
import { createEvent, deriveEventId, type JobOptionsData, jobCreatedV1, jobSubmittedV1, type ObjectRefData, toPublishEntry } from '@refinery/events';
import { ConditionFailedError } from '@refinery/ports';
import { NonRetryableError, stageFailureEntry } from '@refinery/runtime';
import { type IngestDeps, inputKey } from '../config';
import { utf8InputKey } from '../input-key';
import { inspectFile } from './inspect-upload';
import { JobErasure } from './job-erasure';
import { type CurrentJob, JobHistory } from './job-history';
import { JobProgress } from './job-progress';
import { TenantQuotas } from './tenant-quotas';

export interface NewJob {
  readonly tenantId: string;
  readonly requestId: string;
  readonly filename: string;
  readonly upload: 'body' | 'presigned';
  readonly options: JobOptionsData;
}

export type IdempotentClaim = { readonly kind: 'new'; readonly jobId: string } | { readonly kind: 'replay'; readonly jobId: string };

/** The item in a job's partition that names its Idempotency-Key item. */
const IDEMPOTENCY_POINTER_SK = 'idempotency-key';

export class IdempotencyConflictError extends Error {
  override readonly name = 'IdempotencyConflictError';
}

/** The jobs of ingest: creation, idempotency keys, submission of uploaded inputs, and state from history. */
export class Jobs {
  readonly history: JobHistory;
  /** `job.progressed.v1` and the per-tenant job summaries. */
  readonly progress: JobProgress;

  /** The tenant's jobs in flight and created per minute (checked before a job is created). */
  readonly quotas: TenantQuotas;

  constructor(private readonly deps: IngestDeps) {
    this.history = new JobHistory(
      deps.jobs,
      new JobErasure({ table: deps.jobs, publisher: deps.publisher, clock: deps.clock, retentionDays: deps.config.retentionDays }),
    );
    this.quotas = new TenantQuotas({
      table: deps.jobs,
      limits: deps.config,
      jobStatus: async (jobId) => {
        const current = await this.history.current(jobId);
        if (!current) return 'missing';
        return current.state.status === 'completed' || current.state.status === 'failed' ? 'ended' : 'running';
      },
    });
    this.progress = new JobProgress({
      table: deps.jobs,
      history: this.history,
      publisher: deps.publisher,
      clock: deps.clock,
      sleep: deps.sleep ?? ((ms) => sleep(ms)),
      intervalMs: deps.config.progressIntervalMs,
      logger: deps.logger,
    });
  }

  inputRef(tenantId: string, jobId: string): ObjectRefData {
    return { bucket: this.deps.config.uploadsBucket, key: inputKey(tenantId, jobId) };
  }

  /**
   * Reserves an Idempotency-Key for a new job id, or finds the job an earlier request with the same key created.
   * The same key with a different request is refused: a retry must repeat the request, not change it.
   */
  async claimIdempotencyKey(tenantId: string, key: string, fingerprint: string): Promise<IdempotentClaim> {
    const jobId = this.deps.ids.newId('job');
    const itemKey = { pk: `idempotency#${tenantId}`, sk: createHash('sha256').update(key).digest('hex') };
    try {
      await this.deps.jobs.put(
        { ...itemKey, jobId, fingerprint, createdAt: this.deps.clock.now().toISOString() },
        { condition: { kind: 'itemNotExists' } },
      );
      // Where the key is, from the job: erasing the job deletes its key too (the same request then makes a new job).
      await this.deps.jobs.put({ pk: this.history.partitionOf(jobId), sk: IDEMPOTENCY_POINTER_SK, keyPk: itemKey.pk, keySk: itemKey.sk });
      return { kind: 'new', jobId };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
    const existing = await this.deps.jobs.get(itemKey);
    if (!existing) throw new Error('idempotency key vanished while being read');
    if (existing.fingerprint !== fingerprint) {
      throw new IdempotencyConflictError('this Idempotency-Key was used with a different request');
    }
    return { kind: 'replay', jobId: existing.jobId as string };
  }

  /** The Idempotency-Key item that names the job, if it was created with one. */
  async idempotencyKeyOf(jobId: string): Promise<{ pk: string; sk: string } | undefined> {
    const pointer = await this.deps.jobs.get({ pk: this.history.partitionOf(jobId), sk: IDEMPOTENCY_POINTER_SK });
    return typeof pointer?.keyPk === 'string' && typeof pointer.keySk === 'string' ? { pk: pointer.keyPk, sk: pointer.keySk } : undefined;
  }

  /** Frees an Idempotency-Key claimed by a request whose job could not be created, so a retry creates it afresh. */
  async releaseIdempotencyKey(tenantId: string, key: string): Promise<void> {
    await this.deps.jobs.delete({ pk: `idempotency#${tenantId}`, sk: createHash('sha256').update(key).digest('hex') });
  }

  /**
   * A job whose creation failed part-way (see handlers/job-creation.ts `withoutOrphan`): failed with the reason when it
   * was recorded (returns true), otherwise its place among the tenant's jobs in flight is given back (false).
   */
  async abandon(tenantId: string, jobId: string, reason: string): Promise<boolean> {
    const found = await this.state(jobId);
    const created = found?.created;
    if (!found || !created) {
      await this.quotas.release(tenantId, jobId);
      return false;
    }
    const where = { service: 'ingest', subscription: 'api' };
    await this.deps.publisher.publish([
      stageFailureEntry(where, { metadata: created.metadata, eventType: created.type }, { reason, retryable: false, attempts: 1 }),
    ]);
    return true;
  }

  /**
   * Publishes and records `job.created.v1`. Publishing first: if recording fails, the retry (same Idempotency-Key)
   * finds no history and publishes the same event id again, so the event is never lost; the request answers only
   * after both, so the job is readable as soon as its creator hears of it. Its first `job.progressed.v1` follows at
   * once (and starts the job's summary, which `GET /jobs` lists).
   */
  /** The time of the clock ingest runs on (a job's creation time is read once, for its quota and its event). */
  now(): Date {
    return this.deps.clock.now();
  }

  async create(jobId: string, job: NewJob, at: Date = this.deps.clock.now()): Promise<void> {
    const event = createEvent(jobCreatedV1, {
      service: 'ingest',
      metadata: {
        eventId: deriveEventId(jobId, jobCreatedV1.type),
        tenantId: job.tenantId,
        jobId,
        correlationId: job.requestId,
        causationId: job.requestId,
        occurredAt: at.toISOString(),
      },
      data: { filename: job.filename, upload: job.upload, input: this.inputRef(job.tenantId, jobId), options: job.options },
    });
    await this.deps.publisher.publish([toPublishEntry(event)]);
    if (await this.history.append(event)) {
      await this.progress.publishCreated({
        id: event.metadata.eventId,
        type: event.type,
        occurredAt: event.metadata.occurredAt,
        metadata: event.metadata,
        data: event.data,
      });
    }
  }

  /** The job as its summary shows it: one read, whatever the length of its history. */
  async state(jobId: string): Promise<CurrentJob | undefined> {
    return this.history.current(jobId);
  }

  /** The job as the given tenant may see it: another tenant's job is as good as missing. */
  async stateFor(tenantId: string, jobId: string): Promise<CurrentJob | undefined> {
    const found = await this.state(jobId);
    return found && found.state.tenantId === tenantId ? found : undefined;
  }

  /**
   * The input is in place: check that it is a usable CSV and publish `job.submitted.v1`. Idempotent — a job that is
   * already submitted is left alone, and the event id is derived from the job so a repeat is recognisably the same.
   * Throws NonRetryableError (the job then fails with that reason) when the file cannot be used.
   */
  async submit(jobId: string): Promise<'submitted' | 'already-submitted' | 'no-input'> {
    const found = await this.state(jobId);
    if (!found) throw new Error(`job ${jobId} has no history yet`);
    const { state, created } = found;
    if (state.submitted) return 'already-submitted';
    const createdData = created.data as { filename: string; input: ObjectRefData; options: JobOptionsData };
    const uploaded = await this.deps.objects.head(createdData.input);
    if (!uploaded) return 'no-input';
    const limits = { maxRowBytes: this.deps.config.maxRowBytes, maxColumns: this.deps.config.maxColumns };
    const probe = headerProbeBytes(limits);
    const headOf = (ref: ObjectRefData, size: number) =>
      size === 0 ? Promise.resolve(Buffer.alloc(0)) : this.deps.objects.getBuffer(ref, { start: 0, end: Math.min(probe, size) });
    let input = createdData.input;
    let sizeBytes = uploaded.sizeBytes;
    let head = await headOf(input, sizeBytes);
    const byteOrder = utf16ByteOrder(head);
    if (byteOrder !== undefined) {
      ({ input, sizeBytes } = await this.transcodeInput(input, byteOrder));
      head = await headOf(input, sizeBytes);
    }
    const verdict = inspectFile(head, {
      complete: sizeBytes <= probe,
      limits,
      ...(createdData.options.columnMapping ? { columnMapping: createdData.options.columnMapping } : {}),
    });
    if (!verdict.ok) throw new NonRetryableError(`the uploaded file cannot be used: ${verdict.message}`);
    const event = createEvent(jobSubmittedV1, {
      service: 'ingest',
      metadata: {
        eventId: deriveEventId(jobId, jobSubmittedV1.type),
        tenantId: state.tenantId,
        jobId,
        correlationId: created.metadata.correlationId,
        causationId: created.metadata.eventId,
        occurredAt: this.deps.clock.now().toISOString(),
      },
      data: { filename: createdData.filename, input: { ...input, sizeBytes }, options: createdData.options },
    });
    // Publish before recording: the history is what says "already submitted", so recording first would let a failed
    // publish lose the event for good. A retry after a failed append republishes the same (derived) event id.
    await this.deps.publisher.publish([toPublishEntry(event)]);
    await this.history.append(event);
    return 'submitted';
  }

  /**
   * A UTF-16 input (its byte order mark says which; Excel's "Unicode Text") as the pipeline reads inputs, UTF-8:
   * transcoded, streaming, beside it (the same bytes every time, so a retry rewrites the same object).
   */
  private async transcodeInput(input: ObjectRefData, byteOrder: Utf16Encoding): Promise<{ input: ObjectRefData; sizeBytes: number }> {
    const transcoded = { bucket: input.bucket, key: utf8InputKey(input.key) };
    const info = await this.deps.objects.put(transcoded, Readable.from(transcodeUtf16ToUtf8(await this.deps.objects.get(input), byteOrder)), {
      contentType: 'text/csv; charset=utf-8',
    });
    return { input: transcoded, sizeBytes: info.sizeBytes };
  }
}
