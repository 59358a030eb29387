import { lambdaContext, toSqsEvent } from '@refinery/local-runtime';
import type { Queues, ReceivedQueueMessage } from '@refinery/ports';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';

export type BatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface EventSourcePollerOptions {
  readonly queues: Queues;
  readonly queue: string;
  readonly queueArn: string;
  readonly region: string;
  readonly batchSize: number;
  readonly handler: BatchHandler;
  readonly functionName: string;
  readonly functionTimeoutMs: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * Lambda's SQS event source mapping, for tests against emulators: long-polls a queue, hands each batch to the function
 * as an SQS event, deletes what succeeded and leaves `batchItemFailures` (or the whole batch, when the function
 * throws) to come back after the visibility timeout — and to the dead-letter queue after maxReceiveCount.
 */
export class EventSourcePoller {
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: EventSourcePollerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    const { queues, queue, batchSize, onError } = this.options;
    while (this.running) {
      try {
        const messages = await queues.receive(queue, { max: Math.min(10, batchSize), waitSeconds: 1 });
        if (messages.length > 0) await this.invoke(messages);
      } catch (error) {
        onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  private async invoke(messages: readonly ReceivedQueueMessage[]): Promise<void> {
    const { queues, queue, queueArn, region, handler, functionName, functionTimeoutMs } = this.options;
    let failed: Set<string>;
    try {
      const records = messages.map((message) => ({
        ...message,
        sentAt: message.sentAt.getTime(),
        firstReceivedAt: (message.firstReceivedAt ?? message.sentAt).getTime(),
      }));
      const response = await handler(toSqsEvent(records, { queueArn, region }), lambdaContext(functionName, functionTimeoutMs));
      failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch {
      failed = new Set(messages.map((message) => message.id));
    }
    const done = messages.filter((message) => !failed.has(message.id)).map((message) => message.receiptHandle);
    if (done.length > 0) await queues.delete(queue, done);
  }
}
