import { createHash, randomUUID } from 'node:crypto';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';

export const LOCAL_REGION = 'local';
export const LOCAL_ACCOUNT = '000000000000';

/** What an SQS record says of a message (times in epoch milliseconds). */
export interface SqsEventMessage {
  readonly id: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly receiveCount: number;
  readonly sentAt: number;
  readonly firstReceivedAt: number;
}

/** The ARN of a local queue, as records name their source. */
export function localQueueArn(queue: string): string {
  return `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${queue}`;
}

/** The SQS event Lambda's event source mapping would hand to a function for these messages of one queue. */
export function toSqsEvent(messages: readonly SqsEventMessage[], source: { queueArn: string; region: string }): SQSEvent {
  return {
    Records: messages.map(
      (message): SQSRecord => ({
        messageId: message.id,
        receiptHandle: message.receiptHandle,
        body: message.body,
        attributes: {
          ApproximateReceiveCount: String(message.receiveCount),
          SentTimestamp: String(message.sentAt),
          // The principal EventBridge sends to SQS as; handlers never read it, but real records carry one.
          SenderId: 'AIDAEVENTBRIDGE',
          ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
        },
        messageAttributes: {},
        md5OfBody: createHash('md5').update(message.body).digest('hex'),
        eventSource: 'aws:sqs',
        eventSourceARN: source.queueArn,
        awsRegion: source.region,
      }),
    ),
  };
}

/** A Lambda context for one local invocation; the deadline is the function's declared timeout. */
export function lambdaContext(functionName: string, timeoutMs: number, memoryMb = 1024): Context {
  const deadline = Date.now() + timeoutMs;
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
