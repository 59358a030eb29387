import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { BatchItemRetry, Logger } from '@refinery/runtime';
import type { SQSRecord } from 'aws-lambda';

/** ChangeMessageVisibilityBatch takes at most 10 entries. */
const MAX_ENTRIES = 10;

/**
 * The queue URL of a queue ARN (`arn:aws:sqs:eu-west-1:123456789012:name` ->
 * `https://sqs.eu-west-1.amazonaws.com/123456789012/name`). The SDK client sends it to its configured endpoint, so
 * against an emulator only the account and name in its path matter.
 */
export function queueUrlOfArn(arn: string): string {
  const [prefix, partition, service, region, account, name] = arn.split(':');
  if (prefix !== 'arn' || service !== 'sqs' || !region || !account || !name) throw new Error(`not an SQS queue ARN: ${arn}`);
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${domain}/${account}/${name}`;
}

/**
 * Hides each failed message of a batch for its backoff (ChangeMessageVisibility). Best effort: a change that fails
 * leaves the message to come back after the queue's visibility timeout, later but never lost, so it is logged, not
 * thrown (throwing would fail the whole batch, the messages that succeeded included).
 */
export async function applyRetryDelays(
  sqs: SQSClient,
  records: readonly SQSRecord[],
  retries: readonly BatchItemRetry[],
  logger: Logger,
): Promise<void> {
  const byQueue = new Map<string, { Id: string; ReceiptHandle: string; VisibilityTimeout: number }[]>();
  for (const retry of retries) {
    const record = records.find((candidate) => candidate.messageId === retry.itemIdentifier);
    if (!record) continue;
    const entries = byQueue.get(record.eventSourceARN) ?? [];
    entries.push({ Id: String(entries.length), ReceiptHandle: record.receiptHandle, VisibilityTimeout: retry.delaySeconds });
    byQueue.set(record.eventSourceARN, entries);
  }
  for (const [queueArn, entries] of byQueue) {
    for (let start = 0; start < entries.length; start += MAX_ENTRIES) {
      const batch = entries.slice(start, start + MAX_ENTRIES);
      try {
        const result = await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrlOfArn(queueArn), Entries: batch }));
        for (const failure of result.Failed ?? []) {
          logger.warn({ queueArn, code: failure.Code, reason: failure.Message }, 'could not set the backoff of a failed message');
        }
      } catch (error) {
        logger.warn(
          { err: error, queueArn, messages: batch.length },
          "could not set the backoff of failed messages; they return after the queue's visibility timeout",
        );
      }
    }
  }
}
