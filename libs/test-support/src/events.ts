import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type DomainEvent, toPublishEntry } from '@refinery/events';
import { lambdaContext } from '@refinery/local-runtime';
import type { PublishEntry } from '@refinery/ports';
import type { Context, SQSEvent } from 'aws-lambda';

/** The JSON EventBridge delivers to an SQS target for a published entry. */
export function eventBridgeBody(entry: PublishEntry | DomainEvent, id: string = randomUUID()): string {
  const publish = 'detailType' in entry ? entry : toPublishEntry(entry);
  return JSON.stringify({
    version: '0',
    id,
    'detail-type': publish.detailType,
    source: publish.source,
    account: '000000000000',
    time: '2026-11-28T12:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: JSON.parse(publish.detail),
  });
}

/** An SQS batch as Lambda's event source mapping hands it over. */
export function sqsEvent(bodies: readonly string[], options: { receiveCount?: number } = {}): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `message-${i + 1}`,
      receiptHandle: `receipt-${i + 1}`,
      body,
      attributes: {
        ApproximateReceiveCount: String(options.receiveCount ?? 1),
        SentTimestamp: '1795880000000',
        SenderId: 'AIDATEST',
        ApproximateFirstReceiveTimestamp: '1795880000001',
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:test-queue',
      awsRegion: 'us-east-1',
    })),
  };
}

export function testContext(functionName = 'test-function', timeoutMs = 30_000): Context {
  return lambdaContext(functionName, timeoutMs);
}

/** Reads a JSON fixture file as text (tests wrap it into SQS records as EventBridge would deliver it). */
export function readFixture(path: string): string {
  return JSON.stringify(JSON.parse(readFileSync(path, 'utf8')));
}
