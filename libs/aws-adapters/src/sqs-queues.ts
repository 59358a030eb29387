import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  peekByScanning,
  type QueueDepth,
  type QueueMessage,
  type QueueScanner,
  type Queues,
  type ReceivedQueueMessage,
  redriveByScanning,
} from '@refinery/ports';
import { isStaleReceiptHandle, MAX_BATCH_ENTRIES, type RetryPolicy, runSqsBatch } from './sqs-batch';
import { checkInteger, sendBatches, toReceivedMessage } from './sqs-messages';

export interface SqsQueuesOptions {
  readonly client: SQSClient;
  /** Queue URL of a queue name (default: GetQueueUrl, remembered). */
  readonly queueUrlOf?: (name: string) => Promise<string>;
  /** Calls per batch for entries SQS failed on its side (default 4); whole-call retries are the client's. */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /**
   * Long-poll seconds of the receives peek and redrive scan with (default 1). A short poll samples only some SQS
   * servers and may come back empty from a queue that has messages, which would end a scan early.
   */
  readonly scanWaitSeconds?: number;
}

/**
 * How long peek and redrive hide what they have looked at, so that each receive brings new messages; they make them
 * visible again (or delete them) when done, or SQS does after this long if the process dies first.
 */
const SCAN_VISIBILITY_SECONDS = 30;

/**
 * `Queues` on SQS standard queues. Sends and deletes go in batches of 10 (sends within 256 KiB); entries SQS fails on
 * its side are resent. A stale receipt handle deletes nothing and is not an error. peek and redrive are built on
 * receive: SQS has no read-only look at a queue, and its message move task cannot pick messages by id (nor does
 * every emulator have it), so redrive receives from the dead-letter queue, sends the bodies to the target and deletes
 * them from the dead-letter queue. Redriven messages get new ids and fresh receive counts on the target.
 */
export class SqsQueues implements Queues {
  private readonly urls = new Map<string, Promise<string>>();
  private readonly retry: RetryPolicy;
  private readonly scanWaitSeconds: number;

  constructor(private readonly options: SqsQueuesOptions) {
    this.retry = {
      maxAttempts: options.maxAttempts ?? 4,
      baseDelayMs: options.baseDelayMs ?? 100,
      maxDelayMs: options.maxDelayMs ?? 20_000,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      random: options.random ?? Math.random,
    };
    this.scanWaitSeconds = options.scanWaitSeconds ?? 1;
  }

  async send(queue: string, bodies: readonly string[]): Promise<void> {
    const batches = sendBatches(queue, bodies);
    if (batches.length === 0) return;
    const QueueUrl = await this.urlOf(queue);
    for (const batch of batches) {
      await runSqsBatch(
        'SendMessageBatch',
        batch.map((MessageBody, index) => ({ Id: String(index), MessageBody })),
        (Entries) => this.options.client.send(new SendMessageBatchCommand({ QueueUrl, Entries })),
        this.retry,
      );
    }
  }

  async receive(queue: string, options: { max: number; visibilityTimeoutSeconds?: number; waitSeconds?: number }): Promise<ReceivedQueueMessage[]> {
    checkInteger('max', options.max, 1, 10);
    if (options.visibilityTimeoutSeconds !== undefined) checkInteger('visibilityTimeoutSeconds', options.visibilityTimeoutSeconds, 0, 43_200);
    if (options.waitSeconds !== undefined) checkInteger('waitSeconds', options.waitSeconds, 0, 20);
    const output = await this.options.client.send(
      new ReceiveMessageCommand({
        QueueUrl: await this.urlOf(queue),
        MaxNumberOfMessages: options.max,
        VisibilityTimeout: options.visibilityTimeoutSeconds,
        // Without it the queue's ReceiveMessageWaitTimeSeconds applies, as for any SQS consumer.
        WaitTimeSeconds: options.waitSeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'ApproximateFirstReceiveTimestamp'],
        // The older parameter, which some emulators still read instead ('All': its type lists no message attributes).
        AttributeNames: ['All'],
      }),
    );
    return (output.Messages ?? []).map(toReceivedMessage);
  }

  async delete(queue: string, receiptHandles: readonly string[]): Promise<void> {
    const handles = [...new Set(receiptHandles)];
    if (handles.length === 0) return;
    const QueueUrl = await this.urlOf(queue);
    for (let start = 0; start < handles.length; start += MAX_BATCH_ENTRIES) {
      await runSqsBatch(
        'DeleteMessageBatch',
        handles.slice(start, start + MAX_BATCH_ENTRIES).map((ReceiptHandle, index) => ({ Id: String(index), ReceiptHandle })),
        (Entries) => this.options.client.send(new DeleteMessageBatchCommand({ QueueUrl, Entries })),
        this.retry,
        isStaleReceiptHandle,
      );
    }
  }

  async changeVisibility(queue: string, receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void> {
    checkInteger('visibilityTimeoutSeconds', visibilityTimeoutSeconds, 0, 43_200);
    const QueueUrl = await this.urlOf(queue);
    try {
      await this.options.client.send(
        new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: visibilityTimeoutSeconds }),
      );
    } catch (error) {
      if (error instanceof Error && isStaleReceiptHandle(error)) {
        throw new Error(`queue ${queue}: receipt handle is stale (the message was deleted or received again)`, { cause: error });
      }
      throw error;
    }
  }

  async depth(queue: string): Promise<QueueDepth> {
    const { Attributes = {} } = await this.options.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: await this.urlOf(queue),
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  /** See peekByScanning (receive counts go up, as on SQS; meant for dead-letter queues). */
  async peek(queue: string, limit: number): Promise<QueueMessage[]> {
    return peekByScanning(this.scanner, queue, limit);
  }

  async redrive(deadLetterQueue: string, target: string, options: { messageIds?: readonly string[] } = {}): Promise<number> {
    return redriveByScanning(this.scanner, deadLetterQueue, target, options);
  }

  private readonly scanner: QueueScanner = {
    pageSize: MAX_BATCH_ENTRIES,
    scan: (queue, max) => this.receive(queue, { max, visibilityTimeoutSeconds: SCAN_VISIBILITY_SECONDS, waitSeconds: this.scanWaitSeconds }),
    release: (queue, receiptHandles) => this.release(queue, receiptHandles),
    send: (queue, bodies) => this.send(queue, bodies),
    delete: (queue, receiptHandles) => this.delete(queue, receiptHandles),
  };

  /** Makes received messages visible again; a handle gone stale meanwhile is already visible or taken. */
  private async release(queue: string, receiptHandles: readonly string[]): Promise<void> {
    if (receiptHandles.length === 0) return;
    const QueueUrl = await this.urlOf(queue);
    for (let start = 0; start < receiptHandles.length; start += MAX_BATCH_ENTRIES) {
      await runSqsBatch(
        'ChangeMessageVisibilityBatch',
        receiptHandles
          .slice(start, start + MAX_BATCH_ENTRIES)
          .map((ReceiptHandle, index) => ({ Id: String(index), ReceiptHandle, VisibilityTimeout: 0 })),
        (Entries) => this.options.client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl, Entries })),
        this.retry,
        isStaleReceiptHandle,
      );
    }
  }

  private urlOf(queue: string): Promise<string> {
    if (this.options.queueUrlOf) return this.options.queueUrlOf(queue);
    let url = this.urls.get(queue);
    if (!url) {
      url = this.lookUpUrl(queue);
      this.urls.set(queue, url);
      // A failed look-up is not remembered: the queue may exist on the next call.
      url.catch(() => this.urls.delete(queue));
    }
    return url;
  }

  private async lookUpUrl(queue: string): Promise<string> {
    try {
      const { QueueUrl } = await this.options.client.send(new GetQueueUrlCommand({ QueueName: queue }));
      if (!QueueUrl) throw new Error(`SQS returned no URL for queue ${queue}`);
      return QueueUrl;
    } catch (error) {
      if (error instanceof Error && (error.name === 'QueueDoesNotExist' || error.name.endsWith('NonExistentQueue'))) {
        throw new Error(`queue ${queue} does not exist`, { cause: error });
      }
      throw error;
    }
  }
}
