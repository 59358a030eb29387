import type { Message } from '@aws-sdk/client-sqs';
import { checkQueueMessageBody, type ReceivedQueueMessage } from '@refinery/ports';
import { MAX_BATCH_ENTRIES } from './sqs-batch';

/**
 * What we put in one SendMessageBatch: 256 KiB, the total every queue accepts (older queues and documents say 256 KiB
 * for a batch; newer ones 1 MiB). A body above it travels alone.
 */
export const MAX_BATCH_BYTES = 256 * 1024;

/** Consecutive groups of at most 10 bodies and MAX_BATCH_BYTES (a larger body alone), all checked first. */
export function sendBatches(queue: string, bodies: readonly string[]): string[][] {
  const sizes = bodies.map((body, index) => checkQueueMessageBody(queue, body, index));
  const batches: string[][] = [];
  let current: string[] = [];
  let currentBytes = 0;
  bodies.forEach((body, index) => {
    const size = sizes[index] as number;
    if (current.length > 0 && (current.length === MAX_BATCH_ENTRIES || currentBytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(body);
    currentBytes += size;
  });
  if (current.length > 0) batches.push(current);
  return batches;
}

/** A received SQS message in the port's terms (system attributes asked for by the receive). */
export function toReceivedMessage(message: Message): ReceivedQueueMessage {
  const attributes = message.Attributes ?? {};
  const receiveCount = Number(attributes.ApproximateReceiveCount);
  const sentAt = Number(attributes.SentTimestamp);
  if (!message.MessageId || message.Body === undefined || !message.ReceiptHandle || !Number.isFinite(receiveCount) || !Number.isFinite(sentAt)) {
    throw new Error(`SQS returned a message without its id, body, receipt handle, ApproximateReceiveCount or SentTimestamp`);
  }
  const firstReceivedAt = Number(attributes.ApproximateFirstReceiveTimestamp);
  return {
    id: message.MessageId,
    body: message.Body,
    receiptHandle: message.ReceiptHandle,
    receiveCount,
    sentAt: new Date(sentAt),
    ...(Number.isFinite(firstReceivedAt) ? { firstReceivedAt: new Date(firstReceivedAt) } : {}),
  };
}

export function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}; got ${value}`);
}
