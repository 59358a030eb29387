import type { BatchItemRetry, Logger } from '@refinery/runtime';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { LOCAL_REGION, lambdaContext, localQueueArn, toSqsEvent } from './lambda-shapes';
import type { LocalQueues } from './local-queues';
import type { StorageHealth } from './storage-health';

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
  /**
   * The data dir's health: while it cannot be written (full, read-only) the poller receives nothing, and a delivery
   * that failed on such a fault is given back to its queue without counting against maxReceiveCount.
   */
  readonly storage?: StorageHealth;
}

/**
 * The local event source mapping: receives batches from a queue and invokes the handler like Lambda does. Messages
 * the handler reports in `batchItemFailures` (or all of them, when the invocation throws) stay in the queue and come
 * back after their backoff when the handler gives one (never later than the queue's visibility timeout: tests shorten
 * it), after the visibility timeout otherwise; the others are deleted.
 *
 * A fault of the machine is not a fault of the message: while the data dir cannot be written, the poller holds its
 * queue (receives nothing) until writes succeed again, and the messages of a batch that failed during such a fault are
 * given back uncounted, so a full disk never walks messages into the dead-letter queue.
 */
export class QueuePoller {
  private running = false;
  private readonly workers: Promise<void>[] = [];
  private wakeUp: (() => void)[] = [];
  private unsubscribe: (() => void) | undefined;
  private inFlight = 0;
  /**
   * Deletes and give-backs that could not be written during a storage fault: done as soon as writes succeed again, so
   * a message does not wait out its visibility timeout (up to 90 minutes) before the job can go on.
   */
  private unsettled: { receiptHandle: string; settle: 'delete' | 'giveBack' }[] = [];

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
      const { storage } = this.options;
      if (storage?.fault) {
        await Promise.race([storage.whenWritable(), this.sleep(60_000)]);
        continue;
      }
      if (this.unsettled.length > 0 && !this.settleLeftovers()) continue;
      let messages: ReturnType<LocalQueues['receive']>;
      try {
        messages = this.queues.receive(this.options.queue, this.options.batchSize);
      } catch (error) {
        // Receiving writes (the receive count): a full or read-only data dir pauses every poller; anything else is
        // logged and tried again after a pause rather than ending this worker.
        if (!storage?.report(error)) this.options.logger.error({ err: error, queue: this.options.queue }, 'receive failed; polling again shortly');
        await this.sleep();
        continue;
      }
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
    const { storage } = this.options;
    const faultsBefore = storage?.faultsReported ?? 0;
    try {
      const response = await handler(
        toSqsEvent(messages, { queueArn: localQueueArn(this.options.queue), region: LOCAL_REGION }),
        lambdaContext(functionName, functionTimeoutMs),
      );
      failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
      delays = new Map((response?.retries ?? []).map((retry) => [retry.itemIdentifier, retry.delaySeconds * 1000]));
    } catch (error) {
      if (!storage?.report(error)) logger.error({ err: error, functionName }, 'invocation failed; the whole batch returns to the queue');
      failed = new Set(messages.map((message) => message.id));
    }
    // Failures while the data dir could not be written are the machine's, whatever the handler made of them.
    const machineFault = storage !== undefined && (storage.faultsReported !== faultsBefore || storage.fault !== undefined);
    const visibilityMs = this.queues.visibilityTimeoutMs(this.options.queue);
    for (const message of messages) {
      const settle = !failed.has(message.id) ? 'delete' : machineFault ? 'giveBack' : undefined;
      try {
        if (settle) this.queues[settle](message.receiptHandle);
        else {
          const delayMs = delays.get(message.id);
          if (delayMs !== undefined) this.queues.changeVisibility(message.receiptHandle, Math.min(delayMs, visibilityMs));
        }
      } catch (error) {
        // A delete or give-back that could not be written (the disk is full): done again once writes succeed. Anything
        // else is said; the message comes back after its visibility timeout (handlers are idempotent).
        if (settle && storage?.report(error)) this.unsettled.push({ receiptHandle: message.receiptHandle, settle });
        else logger.error({ err: error, functionName }, 'could not settle a message; it comes back after its visibility timeout');
      }
    }
  }

  /** Retries the deletes and give-backs a storage fault left undone; false when writes fail again (paused again). */
  private settleLeftovers(): boolean {
    while (this.unsettled.length > 0) {
      const next = this.unsettled[0] as { receiptHandle: string; settle: 'delete' | 'giveBack' };
      try {
        this.queues[next.settle](next.receiptHandle);
      } catch (error) {
        if (this.options.storage?.report(error)) return false;
        this.options.logger.error(
          { err: error, queue: this.options.queue },
          'could not settle a message; it comes back after its visibility timeout',
        );
      }
      this.unsettled.shift();
    }
    return true;
  }

  private sleep(longestMs?: number): Promise<void> {
    const idle = this.options.idlePollMs ?? 1000;
    const next = longestMs === undefined ? this.queues.nextVisibleIn(this.options.queue) : longestMs;
    const delay = Math.max(5, Math.min(longestMs ?? idle, next ?? idle));
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
