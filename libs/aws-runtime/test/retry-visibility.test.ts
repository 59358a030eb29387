import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type MotoServer, startMotoServer } from '@refinery/aws-emulator';
import { chunkPlannedV1, createEvent, toPublishEntry } from '@refinery/events';
import { composeService, createEventSubscriptionHandler, defineService, implementService } from '@refinery/runtime';
import { eventBridgeBody, testContext } from '@refinery/test-support';
import type { SQSEvent } from 'aws-lambda';
import { awsClients, awsPlatform, lambdaHandlers, queueUrlOfArn } from '../src';

// A failed message's backoff is set on its queue (ChangeMessageVisibility) by the Lambda entry point, against moto's
// SQS: later than the queue's own visibility timeout when the backoff says so, at once on the last delivery (so it
// reaches the dead-letter queue and its report without waiting), and for a whole batch when the service cannot start.

jest.setTimeout(60_000);

/** The queue the test creates hides a received message 1 s: a message still hidden after 2 s had its visibility set. */
const QUEUE_VISIBILITY_SECONDS = 1;

const worker = defineService({
  name: 'worker',
  description: 'd',
  subscriptions: {
    chunks: {
      description: 'c',
      events: [chunkPlannedV1],
      queue: { visibilityTimeoutSeconds: 600, maxReceiveCount: 3, batchSize: 10 },
      function: { timeoutSeconds: 60, memorySizeMb: 512 },
    },
  },
});

const failing = implementService(worker, (context) => ({
  subscriptions: {
    chunks: createEventSubscriptionHandler({
      subscription: worker.subscriptions.chunks,
      publisher: context.publisher,
      logger: context.logger,
      handle: async (event) => {
        if (event.data.chunk.index === 1) throw new Error('chunk 1 fails');
      },
    }),
  },
}));

let moto: MotoServer;
let sqs: SQSClient;
let queueUrl: string;
let queueArn: string;

beforeAll(async () => {
  moto = await startMotoServer();
  sqs = new SQSClient(moto.clientConfig);
});

afterAll(async () => {
  await moto?.stop();
});

let queueNumber = 0;
beforeEach(async () => {
  queueNumber += 1;
  const created = await sqs.send(
    new CreateQueueCommand({ QueueName: `chunks-${queueNumber}`, Attributes: { VisibilityTimeout: String(QUEUE_VISIBILITY_SECONDS) } }),
  );
  queueUrl = created.QueueUrl as string;
  const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  queueArn = attributes.Attributes?.QueueArn as string;
});

function chunkBody(index: number): string {
  const event = createEvent(chunkPlannedV1, {
    service: 'chunker',
    metadata: { tenantId: 'acme', jobId: 'job_1', correlationId: 'job_1', causationId: 'job_1' },
    data: { ...chunkPlannedV1.example, chunk: { index, count: 2 } },
  });
  return eventBridgeBody(toPublishEntry(event));
}

/** Sends the bodies, receives them `receives` times (as Lambda would) and returns the last delivery as an SQS event. */
async function delivered(bodies: readonly string[], receives: number): Promise<SQSEvent> {
  for (const body of bodies) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  let messages: Message[] = [];
  for (let receive = 1; receive <= receives; receive += 1) {
    if (receive > 1) await new Promise((resolve) => setTimeout(resolve, QUEUE_VISIBILITY_SECONDS * 1000 + 200));
    messages = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, AttributeNames: ['All'] }))).Messages ?? [];
    expect(messages).toHaveLength(bodies.length);
  }
  return {
    Records: messages.map((message) => ({
      messageId: message.MessageId as string,
      receiptHandle: message.ReceiptHandle as string,
      body: message.Body as string,
      attributes: {
        ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount as string,
        SentTimestamp: message.Attributes?.SentTimestamp as string,
        SenderId: 'x',
        ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp as string,
      },
      messageAttributes: {},
      md5OfBody: message.MD5OfBody as string,
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: moto.clientConfig.region,
    })),
  };
}

async function visibleBodies(): Promise<string[]> {
  const messages = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }))).Messages ?? [];
  return messages.map((message) => message.Body as string);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function handlersOf(build?: () => ReturnType<typeof composeService<typeof worker, object>>, eventBridge?: EventBridgeClient) {
  const clients = awsClients({ sqs: new SQSClient({ ...moto.clientConfig, useQueueUrlAsEndpoint: false }), ...(eventBridge ? { eventBridge } : {}) });
  return lambdaHandlers(failing, { clients, build: build ?? (() => composeService(failing, awsPlatform({ EVENT_BUS_NAME: 'bus' }, clients))) });
}

describe('queueUrlOfArn', () => {
  it('names the queue in its region, account and partition', () => {
    expect(queueUrlOfArn('arn:aws:sqs:eu-west-1:123456789012:refinery-matcher-prod-chunks')).toBe(
      'https://sqs.eu-west-1.amazonaws.com/123456789012/refinery-matcher-prod-chunks',
    );
    expect(queueUrlOfArn('arn:aws-cn:sqs:cn-north-1:123456789012:q')).toBe('https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q');
    expect(() => queueUrlOfArn('arn:aws:sns:us-east-1:123456789012:topic')).toThrow('not an SQS queue ARN');
  });
});

describe('the backoff of failed messages', () => {
  it('keeps a failed message away for its backoff, longer than the queue would, and deletes nothing itself', async () => {
    const [ok, bad] = [chunkBody(0), chunkBody(1)];
    const event = await delivered([ok, bad], 1);
    const response = await handlersOf().chunks(event, testContext());
    const failedId = event.Records.find((record) => record.body === bad)?.messageId;
    expect(response).toMatchObject({ batchItemFailures: [{ itemIdentifier: failedId }] });
    await sleep(QUEUE_VISIBILITY_SECONDS * 1000 + 1000);
    // The succeeded one is Lambda's to delete (it is back: nobody deleted it); the failed one waits its 10 s or more.
    expect(await visibleBodies()).toEqual([ok]);
  });

  it('sends the last allowed delivery back at once, for the dead-letter queue', async () => {
    const bad = chunkBody(1);
    const event = await delivered([bad], worker.subscriptions.chunks.queue.maxReceiveCount);
    await handlersOf().chunks(event, testContext());
    expect(await visibleBodies()).toEqual([bad]);
  });

  it('backs off a whole batch when the service cannot start, says why on the last delivery, and still fails the invocation', async () => {
    // What it publishes, caught on a bus by a rule into a queue.
    const events = new EventBridgeClient(moto.clientConfig);
    const caught = (await sqs.send(new CreateQueueCommand({ QueueName: 'caught' }))).QueueUrl as string;
    const caughtArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: caught, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    await events.send(new CreateEventBusCommand({ Name: 'worker-bus' }));
    await events.send(new PutRuleCommand({ Name: 'all', EventBusName: 'worker-bus', EventPattern: JSON.stringify({ source: ['refinery.worker'] }) }));
    await events.send(new PutTargetsCommand({ Rule: 'all', EventBusName: 'worker-bus', Targets: [{ Id: 'q', Arn: caughtArn }] }));
    const previous = process.env.EVENT_BUS_NAME;
    process.env.EVENT_BUS_NAME = 'worker-bus';
    try {
      const bodies = [chunkBody(0), chunkBody(2)];
      const event = await delivered(bodies, worker.subscriptions.chunks.queue.maxReceiveCount);
      const handlers = handlersOf(() => Promise.reject(new Error('the nickname table is empty')), events);
      await expect(handlers.chunks(event, testContext())).rejects.toThrow('the nickname table is empty');
      expect((await visibleBodies()).sort()).toEqual([...bodies].sort());
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: caught, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }));
      const reasons = Messages.map((message) => JSON.parse(message.Body as string).detail.data.reason as string).sort();
      expect(reasons).toEqual([
        'worker could not start, and gave up on chunk 1 (rows 2001-3000) after 3 attempts: the nickname table is empty',
        'worker could not start, and gave up on chunk 3 (rows 2001-3000) after 3 attempts: the nickname table is empty',
      ]);
    } finally {
      process.env.EVENT_BUS_NAME = previous;
      if (previous === undefined) delete process.env.EVENT_BUS_NAME;
    }
  });
});
