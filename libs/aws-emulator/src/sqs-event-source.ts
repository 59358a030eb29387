import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { LambdaFunction } from './lambda-function';

export interface SqsEventSourceOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  readonly function: LambdaFunction;
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  /** Batches in flight at once (the mapping's maximum concurrency; Lambda starts with 5 pollers). */
  readonly concurrency: number;
  /** Something went wrong outside the function (receiving, deleting). */
  readonly onError?: (error: unknown) => void;
  /** Every invocation's outcome (for logs and tests). */
  readonly onInvocation?: (outcome: { readonly messages: number; readonly failed: number; readonly kind: string }) => void;
}

/**
 * An idle poller's long poll, as Lambda's pollers do (SQS's longest). moto answers as soon as a message is visible, so
 * this costs no latency; shorter polls cost CPU: an idle stage has dozens of pollers, and at 1 s each they kept about a
 * third of a core busy (moto and this process together) while nothing happened.
 */
export const IDLE_WAIT_SECONDS = 20;

/**
 * Lambda's SQS event source mapping: pollers long-poll the queue, gather a batch (up to the batch size, or what arrived
 * within the batching window), invoke the function with the SQS event and delete what succeeded — with
 * ReportBatchItemFailures, all but the `batchItemFailures`; when the invocation fails (an error, a timeout, a crash),
 * nothing — so the rest comes back after the visibility timeout, and goes to the dead-letter queue after
 * maxReceiveCount.
 */
export class SqsEventSource {
  private running = false;
  private loops: Promise<void>[] = [];
  /** Ends the pollers' long polls at once on stop (an idle poll waits up to IDLE_WAIT_SECONDS). */
  private stopping = new AbortController();

  constructor(private readonly options: SqsEventSourceOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = new AbortController();
    this.loops = Array.from({ length: Math.max(1, this.options.concurrency) }, () => this.poll());
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    await Promise.all(this.loops);
  }

  private async poll(): Promise<void> {
    while (this.running) {
      try {
        const batch = await this.gather();
        if (batch.length > 0) await this.invoke(batch);
      } catch (error) {
        if (!this.running) return; // the long poll that stop() ended
        this.options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  private async gather(): Promise<Message[]> {
    const { batchSize, maximumBatchingWindowSeconds } = this.options;
    const batch: Message[] = [];
    const windowEnds = Date.now() + maximumBatchingWindowSeconds * 1000;
    do {
      const { Messages } = await this.options.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.options.queueUrl,
          MaxNumberOfMessages: Math.min(10, batchSize - batch.length),
          // Short polls once a batch has started, so a window of 0 means "what is there now".
          WaitTimeSeconds: batch.length === 0 ? IDLE_WAIT_SECONDS : 0,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: this.stopping.signal },
      );
      batch.push(...(Messages ?? []));
      if (!this.running || batch.length === 0) break;
    } while (batch.length < batchSize && Date.now() < windowEnds);
    return batch;
  }

  private async invoke(batch: readonly Message[]): Promise<void> {
    const { reportBatchItemFailures } = this.options;
    const event: SQSEvent = { Records: batch.map((message) => this.record(message)) };
    const outcome = await this.options.function.invoke<SQSBatchResponse | null>(event);
    let failed: Set<string>;
    if (!outcome.ok) failed = new Set(batch.map((message) => message.MessageId ?? ''));
    else if (reportBatchItemFailures) failed = new Set((outcome.result?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    else failed = new Set();
    this.options.onInvocation?.({ messages: batch.length, failed: failed.size, kind: outcome.ok ? 'ok' : outcome.kind });
    const done = batch.filter((message) => !failed.has(message.MessageId ?? ''));
    if (done.length === 0) return;
    await this.options.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: this.options.queueUrl,
        Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
      }),
    );
  }

  private record(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? 'AIDAEVENTBRIDGE',
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.options.queueArn,
      awsRegion: this.options.region,
    };
  }
}
