import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type MotoServer, startMotoServer } from '@refinery/aws-emulator';
import { chunkPlannedV1, createEvent, deriveEventId, toPublishEntry } from '@refinery/events';
import { defineService, subscriptionQueueNames } from '@refinery/runtime';
import { eventBridgeBody, testContext } from '@refinery/test-support';
import type { SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { awsClients, CAUSE_ATTRIBUTE, deadLetterReporter, type FunctionMetrics, REPORTED_ATTRIBUTE } from '../src';

// The dead-letter reporter against moto: each message of a subscription's dead-letter inbox becomes its job's
// stage.failed.v1 on the bus (captured by a rule into a queue), and is parked in the dead-letter queue with why.

jest.setTimeout(60_000);

const STAGE = 'test';
const size = { queue: { visibilityTimeoutSeconds: 360, maxReceiveCount: 5, batchSize: 1 }, function: { timeoutSeconds: 60, memorySizeMb: 512 } };
const worker = defineService({
  name: 'worker',
  description: 'd',
  subscriptions: {
    chunks: { description: 'c', events: [chunkPlannedV1], ...size },
    live: { description: 'l', events: [chunkPlannedV1], reportsStageFailures: false, ...size },
  },
});

let moto: MotoServer;
let sqs: SQSClient;
const queues: Record<string, { url: string; arn: string }> = {};
let report: ReturnType<typeof deadLetterReporter>;
/** What the reporter counted (`deadLettered` per parked message) and flushed, per test. */
const counted = { records: [] as { name: string; value: number }[], flushed: [] as { name: string; value: number }[][] };
const countingMetrics: FunctionMetrics = {
  record: (name, value) => void counted.records.push({ name, value }),
  flush: () => void counted.flushed.push(counted.records.splice(0)),
  captureColdStart: () => undefined,
};
beforeEach(() => {
  counted.records = [];
  counted.flushed = [];
});

async function createQueue(name: string): Promise<{ url: string; arn: string }> {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl as string;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn as string;
  return { url, arn };
}

beforeAll(async () => {
  moto = await startMotoServer();
  sqs = new SQSClient(moto.clientConfig);
  const eventBridge = new EventBridgeClient(moto.clientConfig);
  for (const subscription of ['chunks', 'live']) {
    const names = subscriptionQueueNames('worker', subscription, STAGE);
    queues[names.deadLetterInbox] = await createQueue(names.deadLetterInbox);
    queues[names.deadLetterQueue] = await createQueue(names.deadLetterQueue);
  }
  // What the reporter publishes, caught by a rule on the bus.
  queues.published = await createQueue('published');
  await eventBridge.send(new CreateEventBusCommand({ Name: 'bus' }));
  await eventBridge.send(
    new PutRuleCommand({ Name: 'all', EventBusName: 'bus', EventPattern: JSON.stringify({ source: [{ prefix: 'refinery.' }] }) }),
  );
  await eventBridge.send(new PutTargetsCommand({ Rule: 'all', EventBusName: 'bus', Targets: [{ Id: 'q', Arn: queues.published?.arn }] }));
  const clients = awsClients({ sqs: new SQSClient({ ...moto.clientConfig, useQueueUrlAsEndpoint: false }), eventBridge });
  report = deadLetterReporter(worker, { clients, env: { EVENT_BUS_NAME: 'bus', STAGE, LOG_LEVEL: 'silent' }, metrics: countingMetrics });
});

afterAll(async () => {
  await moto?.stop();
});

async function drain(queue: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queues[queue]?.url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }),
    );
    if (Messages.length === 0) return all;
    all.push(...Messages);
  }
}

function inboxRecord(subscription: string, body: string, messageAttributes: SQSMessageAttributes = {}): SQSRecord {
  return {
    messageId: `m-${Math.random()}`,
    receiptHandle: 'r',
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes,
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queues[subscriptionQueueNames('worker', subscription, STAGE).deadLetterInbox]?.arn as string,
    awsRegion: moto.clientConfig.region,
  };
}

const planned = createEvent(chunkPlannedV1, {
  service: 'chunker',
  metadata: { tenantId: 'acme', jobId: 'job_7', correlationId: 'job_7', causationId: 'job_7' },
  data: chunkPlannedV1.example,
});
const body = eventBridgeBody(toPublishEntry(planned));
const dlq = subscriptionQueueNames('worker', 'chunks', STAGE).deadLetterQueue;

describe('deadLetterReporter', () => {
  it("reports a message given up on as its job's failure, then parks it in the dead-letter queue, saying so", async () => {
    expect(await report({ Records: [inboxRecord('chunks', body)] }, testContext())).toEqual({ batchItemFailures: [] });
    const [published] = await drain('published');
    const event = JSON.parse(published?.Body ?? '{}');
    expect(event['detail-type']).toBe('stage.failed.v1');
    expect(event.source).toBe('refinery.worker');
    expect(event.detail.metadata).toMatchObject({
      jobId: 'job_7',
      eventId: deriveEventId(planned.metadata.eventId, 'stage.failed.v1', 'worker', 'chunks'),
    });
    expect(event.detail.data.reason).toBe(
      `worker gave up on chunk 3 (rows 2001-3000): it was received 5 times without being processed and was moved to the dead-letter queue ${dlq}`,
    );
    const parked = await drain(dlq);
    expect(parked.map((message) => message.Body)).toEqual([body]);
    expect(parked[0]?.MessageAttributes?.[CAUSE_ATTRIBUTE]?.StringValue).toBe('received maxReceiveCount times without being processed');
    expect(parked[0]?.MessageAttributes?.[REPORTED_ATTRIBUTE]?.StringValue).toBe(`stage.failed.v1 ${event.detail.metadata.eventId}`);
    expect(counted.flushed).toEqual([[{ name: 'deadLettered', value: 1 }]]);
  });

  it('says when EventBridge could not deliver the event, and keeps its attributes', async () => {
    const attributes: SQSMessageAttributes = {
      ERROR_CODE: { dataType: 'String', stringValue: 'SQS.AccessDeniedException' },
      ERROR_MESSAGE: { dataType: 'String', stringValue: 'not authorized' },
      RULE_ARN: { dataType: 'String', stringValue: 'arn:aws:events:us-east-1:123456789012:rule/bus/r' },
    };
    await report({ Records: [inboxRecord('chunks', body, attributes)] }, testContext());
    const [published] = await drain('published');
    expect(JSON.parse(published?.Body ?? '{}').detail.data.reason).toBe(
      `EventBridge could not deliver chunk 3 (rows 2001-3000) to worker's chunks queue (SQS.AccessDeniedException: not authorized); it is in the dead-letter queue ${dlq}`,
    );
    const [parked] = await drain(dlq);
    expect(parked?.MessageAttributes?.[CAUSE_ATTRIBUTE]?.StringValue).toBe('undelivered: SQS.AccessDeniedException: not authorized');
    expect(parked?.MessageAttributes?.RULE_ARN?.StringValue).toBe('arn:aws:events:us-east-1:123456789012:rule/bus/r');
  });

  it('parks without a report what fails no job, and what it cannot read', async () => {
    await report({ Records: [inboxRecord('live', body), inboxRecord('chunks', 'not json')] }, testContext());
    expect(await drain('published')).toEqual([]);
    const [live] = await drain(subscriptionQueueNames('worker', 'live', STAGE).deadLetterQueue);
    expect(live?.MessageAttributes?.[REPORTED_ATTRIBUTE]?.StringValue).toBe('nothing: its loss fails no job');
    const [unreadable] = await drain(dlq);
    expect(unreadable?.Body).toBe('not json');
    expect(unreadable?.MessageAttributes?.[REPORTED_ATTRIBUTE]?.StringValue).toMatch(
      /^nothing: the message could not be read \(message body is not JSON/,
    );
    // Parked is counted, reported or not: the dead-letter queue grew by two.
    expect(counted.flushed).toEqual([
      [
        { name: 'deadLettered', value: 1 },
        { name: 'deadLettered', value: 1 },
      ],
    ]);
  });

  it('keeps a message it could not report in the inbox (a batch item failure), parking nothing', async () => {
    const clients = awsClients({
      sqs: new SQSClient({ ...moto.clientConfig, useQueueUrlAsEndpoint: false }),
      eventBridge: new EventBridgeClient(moto.clientConfig),
    });
    const broken = deadLetterReporter(worker, {
      clients,
      env: { EVENT_BUS_NAME: 'no-such-bus', STAGE, LOG_LEVEL: 'silent' },
      metrics: countingMetrics,
    });
    const record = inboxRecord('chunks', body);
    expect(await broken({ Records: [record] }, testContext())).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(await drain(dlq)).toEqual([]);
    expect(counted.flushed).toEqual([[]]);
  });

  it('refuses a queue that is not one of its inboxes, and a configuration without its bus or stage', async () => {
    const stranger = { ...inboxRecord('chunks', body), eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:someone-else' };
    expect((await report({ Records: [stranger] }, testContext())).batchItemFailures).toHaveLength(1);
    const unconfigured = deadLetterReporter(worker, { env: {} });
    await expect(unconfigured({ Records: [] }, testContext())).rejects.toThrow(
      /^invalid configuration from environment: EVENT_BUS_NAME: .*; STAGE: /,
    );
  });
});
