import type { BatchItemRetry } from '@refinery/runtime';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Logger } from 'pino';
import { LOCAL_REGION, lambdaContext, localQueueArn, toSqsEvent } from './lambda-shapes';
import type { LocalQueues } from './local-queues';

/** A subscription's handler: failed messages, and (from our subscriptions) the backoff of each. */
export type BatchHandler = (
  event: SQSEvent,
  context: Context,
) => Promise<(SQSBatchResponse & { readonly retries?: readonly BatchItemRetry[] }) | undefined>;

export interface QueuePollerOptions {
  readonly queue: string;
  readonly functionName: string;
  readonly handler: BatchHandler;
  readonly batchSize: number;
  /** Invocations of this function running at once (Lambda's maximum concurrency for the event source). */
  readonly concurrency: number;
  readonly functionTimeoutMs: number;
  readonly logger: Logger;
  /** Longest sleep between polls of an idle queue; a send wakes the poller at once. */
  readonly idlePollMs?: number;
}

/**
 * The local event source mapping: receives batches from a queue and invokes the handler like Lambda does. Messages
 * the handler reports in `batchItemFailures` (or all of them, when the invocation throws) stay in the queue and come
 * back after their backoff when the handler gives one (never later than the queue's visibility timeout: tests shorten
 * it), after the visibility timeout otherwise; the others are deleted.
 */
export class QueuePoller {
  private running = false;
  private readonly workers: Promise<void>[] = [];
  private wakeUp: (() => void)[] = [];
  private unsubscribe: (() => void) | undefined;
  private inFlight = 0;

  constructor(
    private readonly queues: LocalQueues,
    private readonly options: QueuePollerOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.queues.onMessage(this.options.queue, () => this.wake());
    for (let i = 0; i < this.options.concurrency; i += 1) this.workers.push(this.work());
  }

  /** Stops polling and waits for running invocations to finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.wake();
    await Promise.all(this.workers.splice(0));
  }

  get busy(): boolean {
    return this.inFlight > 0;
  }

  private wake(): void {
    const waiting = this.wakeUp;
    this.wakeUp = [];
    for (const resolve of waiting) resolve();
  }

  private async work(): Promise<void> {
    while (this.running) {
      const messages = this.queues.receive(this.options.queue, this.options.batchSize);
      if (messages.length === 0) {
        await this.sleep();
        continue;
      }
      this.inFlight += 1;
      try {
        await this.invoke(messages);
      } finally {
        this.inFlight -= 1;
      }
      // Let timers and I/O (the HTTP API, other pollers) run between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async invoke(messages: ReturnType<LocalQueues['receive']>): Promise<void> {
    const { functionName, functionTimeoutMs, handler, logger } = this.options;
    let failed = new Set<string>();
    let delays = new Map<string, number>();
    try {
      const response = await handler(
        toSqsEvent(messages, { queueArn: localQueueArn(this.options.queue), region: LOCAL_REGION }),
        lambdaContext(functionName, functionTimeoutMs),
      );
      failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
      delays = new Map((response?.retries ?? []).map((retry) => [retry.itemIdentifier, retry.delaySeconds * 1000]));
    } catch (error) {
      logger.error({ err: error, functionName }, 'invocation failed; the whole batch returns to the queue');
      failed = new Set(messages.map((message) => message.id));
    }
    const visibilityMs = this.queues.visibilityTimeoutMs(this.options.queue);
    for (const message of messages) {
      if (!failed.has(message.id)) this.queues.delete(message.receiptHandle);
      else {
        const delayMs = delays.get(message.id);
        if (delayMs !== undefined) this.queues.changeVisibility(message.receiptHandle, Math.min(delayMs, visibilityMs));
      }
    }
  }

  private sleep(): Promise<void> {
    const idle = this.options.idlePollMs ?? 1000;
    const next = this.queues.nextVisibleIn(this.options.queue);
    const delay = Math.max(5, Math.min(idle, next ?? idle));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = this.wakeUp.filter((fn) => fn !== done);
        resolve();
      }, delay);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.wakeUp.push(done);
    });
  }
}
