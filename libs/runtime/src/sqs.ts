import {
  createEvent,
  type DecodedEvent,
  decodeEventBridgeMessage,
  deriveEventId,
  type EventMetadata,
  stageFailedV1,
  toPublishEntry,
} from '@refinery/events';
import type { EventPublisher, PublishEntry } from '@refinery/ports';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { EventOf, EventSubscription, SubscriptionIdentity } from './declaration';
import { errorMessage, isMachineFault, NonRetryableError } from './errors';
import type { Logger } from './logger';
import { type BatchItemRetry, retryAfterMsOf, retryDelaySeconds } from './retry-backoff';

/** What Lambda invokes for a batch of an SQS event source (ReportBatchItemFailures). */
export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * A subscription's answer for a batch: the failed messages, and for each the backoff before it should come back. The
 * platform applies the delays (ChangeMessageVisibility on SQS) and hands Lambda only `batchItemFailures`.
 */
export interface SubscriptionBatchResponse extends SQSBatchResponse {
  readonly retries: readonly BatchItemRetry[];
}

export type SubscriptionBatchHandler = (event: SQSEvent, context: Context) => Promise<SubscriptionBatchResponse>;

/** A subscription's function. */
export interface SubscriptionBinding {
  readonly handler: SubscriptionBatchHandler;
}

export interface RecordContext {
  readonly messageId: string;
  /** ApproximateReceiveCount: 1 on the first delivery. */
  readonly receiveCount: number;
  readonly logger: Logger;
  /**
   * Epoch ms by which the work must stop to end in time: the function's timeout less a margin for saving what was done
   * and answering. Past the timeout Lambda kills the invocation, and whatever it knew is lost.
   */
  readonly deadline: number;
}

/** What a failed message was about: whose job, which event, which rows. */
export interface FailureSubject {
  readonly metadata: EventMetadata;
  readonly eventType: string;
  readonly chunk?: { index: number };
  readonly rows?: { first: number; count: number };
}

export interface SubscriptionHandlerOptions<T, B = undefined> {
  /**
   * The declared subscription: its service, name and queue (whose maxReceiveCount marks the last delivery and whose
   * visibility timeout bounds a retry's backoff).
   */
  readonly subscription: SubscriptionIdentity;
  readonly publisher: EventPublisher;
  readonly logger: Logger;
  readonly decode: (body: string) => T;
  /** `context.batch`: what `beforeBatch` answered for the batch (undefined without it). */
  readonly handle: (message: T, context: RecordContext & { readonly batch: B }) => Promise<void>;
  readonly describe: (message: T) => FailureSubject | undefined;
  /**
   * Runs once per batch, before any message is handled, with every message that could be decoded: for work that the
   * batch's messages share (one job's events recorded in one transaction). What it answers reaches each message's
   * `handle` as `context.batch`, which then does (or fails) that message's part, so each message still succeeds or
   * fails on its own. It should answer one message's fault rather than throw it: when it throws, every message it was
   * given fails with that error.
   */
  readonly beforeBatch?: (messages: readonly HandledMessage<T>[], context: { readonly logger: Logger }) => Promise<B>;
  /**
   * Runs once per batch, after every message was handled, with the messages that were handled without error (for work
   * done once per batch rather than per message). It may return the message ids whose work failed; when it throws,
   * every message it was given fails. Failed messages are reported in `batchItemFailures`, so they come back.
   */
  readonly afterBatch?: (handled: readonly HandledMessage<T>[], context: { readonly logger: Logger }) => Promise<readonly string[] | undefined>;
  /**
   * Messages of one batch handled at once, at most (default 1: one after another). For work that waits on others
   * (webhook receivers), so that one slow message does not hold up the rest of its batch — other tenants' messages.
   */
  readonly concurrency?: number;
}

/** A message of the batch that was handled without error. */
export interface HandledMessage<T> {
  readonly messageId: string;
  readonly message: T;
}

/**
 * Turns a per-message function into an SQS batch handler with partial batch failures (ReportBatchItemFailures):
 * - a message that throws is reported in `batchItemFailures` and comes back after a backoff (retry-backoff.ts), never
 *   sooner than the Retry-After its error carries;
 * - a NonRetryableError is reported once as `stage.failed.v1` (retryable: false) and the message is done;
 * - on the last allowed delivery (receiveCount >= maxReceiveCount) a failure is reported as `stage.failed.v1`
 *   (retryable: true) before the queue moves the message to the dead-letter queue, so the job can end `failed`.
 * Messages of one batch run one after another (batches are small and order keeps logs readable), or up to
 * `concurrency` at once; either way each message succeeds or fails on its own.
 */
export function createSubscriptionHandler<T, B = undefined>(options: SubscriptionHandlerOptions<T, B>): SubscriptionBinding {
  const { queue } = options.subscription;
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(
      `${options.subscription.service}'s ${options.subscription.name} subscription: concurrency must be a whole number from 1, got ${concurrency}`,
    );
  const handler = async (event: SQSEvent, context: Context): Promise<SubscriptionBatchResponse> => {
    const retries: BatchItemRetry[] = [];
    const retry = (record: SQSRecord, error: unknown) =>
      retries.push({
        itemIdentifier: record.messageId,
        delaySeconds: retryDelaySeconds({
          receiveCount: receiveCountOf(record),
          maxReceiveCount: queue.maxReceiveCount,
          visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
          ...optional('retryAfterMs', retryAfterMsOf(error)),
        }),
      });
    const handled: (HandledMessage<T> & { record: SQSRecord })[] = [];
    const deadline = deadlineOf(context);
    const decoded = event.Records.map((record) => decodeRecord(options, record, context));
    const batch = await prepareBatch(options, event.Records, decoded, context);
    const received = event.Records.map((record, index) => ({ record, decoded: decoded[index] as Decoded<T> }));
    const outcomes = await mapBounded(received, concurrency, async ({ record, decoded: message }) =>
      message.ok ? processRecord(options, record, message.message, batch, context, deadline) : message,
    );
    event.Records.forEach((record, index) => {
      const outcome = outcomes[index] as RecordOutcome<T>;
      if (!outcome.ok) retry(record, outcome.error);
      else if (outcome.handled) handled.push({ messageId: record.messageId, message: outcome.message, record });
    });
    if (options.afterBatch && handled.length > 0) {
      const logger = options.logger.child({ subscription: options.subscription.name, awsRequestId: context.awsRequestId });
      let failed: readonly string[];
      let cause: unknown;
      try {
        failed = (await options.afterBatch(handled, { logger })) ?? [];
      } catch (error) {
        // A fault of the machine is the platform's to report, once (as for a message's own work, processRecord).
        if (isMachineFault(error))
          logger.warn(
            { err: error, machineFault: true, messages: handled.length },
            'after-batch work paused by a fault of the machine; it will be retried',
          );
        else logger.error({ err: error, messages: handled.length }, "after-batch work failed; the batch's messages will be retried");
        failed = handled.map((entry) => entry.messageId);
        cause = error;
      }
      for (const messageId of failed) {
        const entry = handled.find((candidate) => candidate.messageId === messageId);
        if (entry) retry(entry.record, cause);
      }
    }
    return { batchItemFailures: retries.map(({ itemIdentifier }) => ({ itemIdentifier })), retries };
  };
  return { handler };
}

/** `work` over every item, at most `limit` at once; results in the items' order. Rejects as soon as one rejects. */
export async function mapBounded<I, O>(items: readonly I[], limit: number, work: (item: I) => Promise<O>): Promise<O[]> {
  const results: O[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as I);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

type Decoded<T> = { readonly ok: true; readonly message: T } | { readonly ok: false; readonly error: unknown };

function recordLogger<T, B>(options: SubscriptionHandlerOptions<T, B>, record: SQSRecord, context: Context): Logger {
  return options.logger.child({
    subscription: options.subscription.name,
    messageId: record.messageId,
    receiveCount: receiveCountOf(record),
    awsRequestId: context.awsRequestId,
  });
}

function decodeRecord<T, B>(options: SubscriptionHandlerOptions<T, B>, record: SQSRecord, context: Context): Decoded<T> {
  try {
    return { ok: true, message: options.decode(record.body) };
  } catch (error) {
    // Not ours or malformed: keep it (it will reach the dead-letter queue for inspection) and say so loudly.
    recordLogger(options, record, context).error({ err: error }, 'message could not be decoded');
    return { ok: false, error };
  }
}

/** What beforeBatch answered, or its error (which each message's handling then throws). */
type BatchPreparation<B> = { readonly ok: true; readonly value: B } | { readonly ok: false; readonly error: unknown };

async function prepareBatch<T, B>(
  options: SubscriptionHandlerOptions<T, B>,
  records: readonly SQSRecord[],
  decoded: readonly Decoded<T>[],
  context: Context,
): Promise<BatchPreparation<B>> {
  if (!options.beforeBatch) return { ok: true, value: undefined as B };
  const messages: HandledMessage<T>[] = [];
  decoded.forEach((entry, index) => {
    if (entry.ok) messages.push({ messageId: (records[index] as SQSRecord).messageId, message: entry.message });
  });
  if (messages.length === 0) return { ok: true, value: undefined as B };
  try {
    const logger = options.logger.child({ subscription: options.subscription.name, awsRequestId: context.awsRequestId });
    return { ok: true, value: await options.beforeBatch(messages, { logger }) };
  } catch (error) {
    // Each message fails with it on its own path (logged, retried, reported on its last delivery).
    return { ok: false, error };
  }
}

type RecordOutcome<T> =
  | { readonly ok: false; readonly error: unknown }
  | { readonly ok: true; readonly handled: true; readonly message: T }
  | { readonly ok: true; readonly handled: false };

/** Time kept back from the function's timeout to save progress and answer: a tenth of it, 1 to 30 s. */
export function deadlineMarginMs(timeoutMs: number): number {
  return Math.min(30_000, Math.max(1_000, timeoutMs / 10));
}

function deadlineOf(context: Context): number {
  const remaining = context.getRemainingTimeInMillis();
  return Date.now() + remaining - deadlineMarginMs(remaining);
}

function receiveCountOf(record: SQSRecord): number {
  return Number(record.attributes.ApproximateReceiveCount ?? '1');
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

async function processRecord<T, B>(
  options: SubscriptionHandlerOptions<T, B>,
  record: SQSRecord,
  message: T,
  batch: BatchPreparation<B>,
  context: Context,
  deadline: number,
): Promise<RecordOutcome<T>> {
  const receiveCount = receiveCountOf(record);
  const logger = recordLogger(options, record, context);
  const subject = options.describe(message);
  const log = subject ? logger.child({ jobId: subject.metadata.jobId, tenantId: subject.metadata.tenantId }) : logger;
  try {
    if (!batch.ok) throw batch.error;
    await options.handle(message, { messageId: record.messageId, receiveCount, logger: log, deadline, batch: batch.value });
    return { ok: true, handled: true, message };
  } catch (error) {
    // A fault of the machine (a full disk) is the platform's to report, once: the message is not at fault, its
    // delivery is given back to it (so it is never a last attempt) and work pauses until the fault is gone.
    if (isMachineFault(error)) {
      log.warn({ err: error, machineFault: true }, 'message processing paused by a fault of the machine; it will be retried');
      return { ok: false, error };
    }
    const permanent = error instanceof NonRetryableError;
    const lastAttempt = receiveCount >= options.subscription.queue.maxReceiveCount;
    log.error({ err: error, permanent, lastAttempt }, 'message processing failed');
    if (!subject || !(permanent || lastAttempt)) return { ok: false, error };
    try {
      await reportStageFailure(
        { service: options.subscription.service, subscription: options.subscription.name, publisher: options.publisher },
        subject,
        {
          reason: permanent ? errorMessage(error) : describeExhaustedRetries(options.subscription.service, subject, receiveCount, error),
          retryable: !permanent,
          attempts: receiveCount,
        },
      );
    } catch (publishError) {
      log.error({ err: publishError }, 'could not publish stage.failed.v1; the message will be retried');
      return { ok: false, error };
    }
    return permanent ? { ok: true, handled: false } : { ok: false, error };
  }
}

export interface StageFailure {
  readonly reason: string;
  readonly retryable: boolean;
  readonly attempts: number;
}

/** Publishes `stage.failed.v1` for a message. The event id is derived from the failed event, so repeats collapse. */
export async function reportStageFailure(
  where: { service: string; subscription: string; publisher: EventPublisher },
  subject: FailureSubject,
  failure: StageFailure,
): Promise<void> {
  await where.publisher.publish([stageFailureEntry(where, subject, failure)]);
}

/** The `stage.failed.v1` entry for a failed message (synchronous, for publishers inside a transaction). */
export function stageFailureEntry(where: { service: string; subscription: string }, subject: FailureSubject, failure: StageFailure): PublishEntry {
  const event = createEvent(stageFailedV1, {
    service: where.service,
    metadata: {
      eventId: deriveEventId(subject.metadata.eventId, stageFailedV1.type, where.service, where.subscription),
      tenantId: subject.metadata.tenantId,
      jobId: subject.metadata.jobId,
      correlationId: subject.metadata.correlationId,
      causationId: subject.metadata.eventId,
    },
    data: {
      service: where.service,
      subscription: where.subscription,
      eventType: subject.eventType,
      eventId: subject.metadata.eventId,
      reason: failure.reason,
      retryable: failure.retryable,
      attempts: failure.attempts,
      ...(subject.chunk ? { chunk: subject.chunk } : {}),
      ...(subject.rows ? { rows: subject.rows } : {}),
    },
  });
  return toPublishEntry(event);
}

/** "chunk 3 (rows 2001-3000)" or the event type: what a failure was about, for people. */
export function describeSubject(subject: FailureSubject): string {
  const { rows: range } = subject;
  const rows = !range ? '' : range.count === 1 ? ` (row ${range.first + 1})` : ` (rows ${range.first + 1}-${range.first + range.count})`;
  return subject.chunk ? `chunk ${subject.chunk.index + 1}${rows}` : subject.eventType;
}

export function describeExhaustedRetries(service: string, subject: FailureSubject, attempts: number, error: unknown): string {
  return `${service} gave up on ${describeSubject(subject)} after ${attempts} attempts: ${errorMessage(error)}`;
}

/** What a failed message of one of our events was about: the chunk and rows when the event names them. */
export function describeDecodedEvent(event: DecodedEvent): FailureSubject {
  const data = event.data as { chunk?: { index: number }; rows?: { first: number; count: number } };
  return {
    metadata: event.metadata,
    eventType: event.type,
    ...(data.chunk ? { chunk: { index: data.chunk.index } } : {}),
    ...(data.rows ? { rows: { first: data.rows.first, count: data.rows.count } } : {}),
  };
}

export interface EventSubscriptionOptions<S extends EventSubscription, B = undefined>
  extends Omit<SubscriptionHandlerOptions<EventOf<S>, B>, 'subscription' | 'decode' | 'describe'> {
  readonly subscription: S;
}

/**
 * A subscription to our own events: EventBridge envelopes decoded and validated with the event catalog, and handed to
 * `handle` only when of a type the subscription declares. Any other type is an error on the failure path (reported as
 * a failed stage, never dropped in silence): the rule and the handler disagree.
 */
export function createEventSubscriptionHandler<S extends EventSubscription, B = undefined>(
  options: EventSubscriptionOptions<S, B>,
): SubscriptionBinding {
  const { subscription, beforeBatch, ...rest } = options;
  const declared = new Set<string>(subscription.events.map((type) => type.type));
  return createSubscriptionHandler<DecodedEvent, B>({
    ...rest,
    subscription,
    afterBatch: options.afterBatch as SubscriptionHandlerOptions<DecodedEvent, B>['afterBatch'],
    // Only the declared types: any other fails in handle below.
    ...(beforeBatch
      ? {
          beforeBatch: (messages: readonly HandledMessage<DecodedEvent>[], context: { readonly logger: Logger }) =>
            beforeBatch(messages.filter((entry) => declared.has(entry.message.type)) as unknown as readonly HandledMessage<EventOf<S>>[], context),
        }
      : {}),
    decode: decodeEventBridgeMessage,
    describe: subscription.reportsStageFailures ? describeDecodedEvent : () => undefined,
    handle: async (event, context) => {
      if (!declared.has(event.type)) {
        throw new NonRetryableError(
          `${subscription.service}'s ${subscription.name} subscription received ${event.type}, which it does not subscribe to ` +
            `(it declares ${[...declared].join(', ')})`,
        );
      }
      await options.handle(event as EventOf<S>, context);
    },
  });
}
