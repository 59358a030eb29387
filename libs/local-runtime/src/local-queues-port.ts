import {
  checkQueueMessageBody,
  peekByScanning,
  type QueueDepth,
  type QueueMessage,
  type QueueScanner,
  type Queues,
  type ReceivedQueueMessage,
  redriveByScanning,
} from '@refinery/ports';
import type { LocalQueues, ReceivedMessage } from './local-queues';

/** How long peek and redrive hide what they look at; they make it visible again (or delete it) when done. */
const SCAN_VISIBILITY_MS = 30_000;
const SCAN_PAGE = 100;

/**
 * The `Queues` port on the SQLite queues, with the AWS adapter's semantics: visibility timeouts in seconds, receive
 * limits of SQS (1-10 messages, 0-20 s long polling), bodies SQS would refuse refused before anything is sent, a stale
 * receipt handle deleting nothing, peek by receiving and releasing, redrive to any target by receive, send, delete.
 */
export class LocalQueuesPort implements Queues {
  constructor(private readonly queues: LocalQueues) {}

  async send(queue: string, bodies: readonly string[]): Promise<void> {
    this.requireQueue(queue);
    for (const [index, body] of bodies.entries()) checkQueueMessageBody(queue, body, index);
    if (bodies.length > 0) this.queues.send(queue, bodies);
  }

  async receive(queue: string, options: { max: number; visibilityTimeoutSeconds?: number; waitSeconds?: number }): Promise<ReceivedQueueMessage[]> {
    checkInteger('max', options.max, 1, 10);
    if (options.visibilityTimeoutSeconds !== undefined) checkInteger('visibilityTimeoutSeconds', options.visibilityTimeoutSeconds, 0, 43_200);
    if (options.waitSeconds !== undefined) checkInteger('waitSeconds', options.waitSeconds, 0, 20);
    this.requireQueue(queue);
    const timeoutMs = options.visibilityTimeoutSeconds === undefined ? undefined : options.visibilityTimeoutSeconds * 1000;
    const deadline = Date.now() + (options.waitSeconds ?? 0) * 1000;
    for (;;) {
      const received = this.queues.receive(queue, options.max, timeoutMs);
      const remaining = deadline - Date.now();
      if (received.length > 0 || remaining <= 0) return received.map(toReceived);
      await this.messageOrTimeout(queue, remaining);
    }
  }

  async delete(queue: string, receiptHandles: readonly string[]): Promise<void> {
    this.requireQueue(queue);
    // A stale handle deletes nothing, as on SQS: the message was received again and belongs to that receiver now.
    for (const handle of new Set(receiptHandles)) this.queues.delete(handle);
  }

  async changeVisibility(queue: string, receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void> {
    checkInteger('visibilityTimeoutSeconds', visibilityTimeoutSeconds, 0, 43_200);
    this.requireQueue(queue);
    if (!this.queues.changeVisibility(receiptHandle, visibilityTimeoutSeconds * 1000)) {
      throw new Error(`queue ${queue}: receipt handle is stale (the message was deleted or received again)`);
    }
  }

  async depth(queue: string): Promise<QueueDepth> {
    this.requireQueue(queue);
    return this.queues.depth(queue);
  }

  async peek(queue: string, limit: number): Promise<QueueMessage[]> {
    this.requireQueue(queue);
    return peekByScanning(this.scanner, queue, limit);
  }

  async redrive(deadLetterQueue: string, target: string, options: { messageIds?: readonly string[] } = {}): Promise<number> {
    this.requireQueue(deadLetterQueue);
    this.requireQueue(target);
    return redriveByScanning(this.scanner, deadLetterQueue, target, options);
  }

  private readonly scanner: QueueScanner = {
    pageSize: SCAN_PAGE,
    scan: async (queue, max) => this.queues.receive(queue, max, SCAN_VISIBILITY_MS).map(toReceived),
    release: async (_queue, receiptHandles) => {
      for (const handle of receiptHandles) this.queues.changeVisibility(handle, 0);
    },
    send: async (queue, bodies) => {
      this.queues.send(queue, bodies);
    },
    delete: async (_queue, receiptHandles) => {
      for (const handle of receiptHandles) this.queues.delete(handle);
    },
  };

  private messageOrTimeout(queue: string, remainingMs: number): Promise<void> {
    // Woken by a send, or when the next hidden message becomes visible, whichever comes first.
    const nextVisible = this.queues.nextVisibleIn(queue);
    const waitMs = Math.max(5, Math.min(remainingMs, nextVisible ?? remainingMs));
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      const unsubscribe = this.queues.onMessage(queue, done);
    });
  }

  private requireQueue(queue: string): void {
    if (!this.queues.queueNames().includes(queue)) throw new Error(`queue ${queue} does not exist`);
  }
}

function toReceived(message: ReceivedMessage): ReceivedQueueMessage {
  return {
    id: message.id,
    body: message.body,
    receiptHandle: message.receiptHandle,
    receiveCount: message.receiveCount,
    sentAt: new Date(message.sentAt),
    firstReceivedAt: new Date(message.firstReceivedAt),
  };
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}; got ${value}`);
}
