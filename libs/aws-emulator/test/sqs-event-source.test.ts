import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { IDLE_WAIT_SECONDS, LambdaFunction, type MotoServer, SqsEventSource, startMotoServer } from '../src';

// Lambda's SQS event source mapping against moto's SQS, feeding a function run from a package written for the test:
// batches as the mapping says, partial batch failures, a failed invocation keeping its whole batch, redrive to the
// dead-letter queue after maxReceiveCount.

jest.setTimeout(60_000);

let moto: MotoServer;
let sqs: SQSClient;
let dir: string;

beforeAll(async () => {
  moto = await startMotoServer();
  sqs = new SQSClient(moto.clientConfig);
  dir = mkdtempSync(join(tmpdir(), 'refinery-esm-'));
  mkdirSync(join(dir, 'src'));
  // Records what it got (one line per batch) and fails the messages whose body says so.
  writeFileSync(
    join(dir, 'src', 'lambda.js'),
    `const { appendFileSync } = require('node:fs');
exports.handler = async (event) => {
  const bodies = event.Records.map((record) => record.body);
  appendFileSync(process.env.LOG, JSON.stringify({ bodies, receives: event.Records.map((r) => Number(r.attributes.ApproximateReceiveCount)), source: event.Records[0].eventSourceARN }) + '\\n');
  if (bodies.includes('explode')) throw new Error('the whole batch fails');
  return { batchItemFailures: event.Records.filter((record) => record.body.startsWith('bad')).map((record) => ({ itemIdentifier: record.messageId })) };
};
`,
  );
});

afterAll(async () => {
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function queueWithDeadLetters(name: string): Promise<{ url: string; arn: string; dlqUrl: string }> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: { VisibilityTimeout: '1', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) },
    }),
  );
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes
    ?.QueueArn as string;
  return { url: queue.QueueUrl as string, arn, dlqUrl: dlq.QueueUrl as string };
}

async function drain(url: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60 }),
    );
    if (!Messages?.length) return bodies.sort();
    bodies.push(...Messages.map((message) => message.Body ?? ''));
  }
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('deletes what succeeded, brings failures back, and lets the dead-letter queue take what keeps failing', async () => {
  const queue = await queueWithDeadLetters('esm-partial');
  const log = join(dir, 'partial.log');
  writeFileSync(log, '');
  const fn = new LambdaFunction({
    name: 'esm-partial',
    bundleDirectory: dir,
    handler: 'src/lambda.handler',
    timeoutMs: 5000,
    memoryMb: 256,
    environment: { LOG: log },
  });
  const source = new SqsEventSource({
    sqs,
    queueUrl: queue.url,
    queueArn: queue.arn,
    region: 'us-east-1',
    function: fn,
    batchSize: 10,
    // No window: a window as long as the queue's 1 s visibility timeout let good-1 come back into the same batch on a
    // loaded machine (as on AWS, a visibility timeout must outlast the window and the invocation).
    maximumBatchingWindowSeconds: 0,
    reportBatchItemFailures: true,
    concurrency: 1,
  });
  try {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: ['good-1', 'bad-1', 'good-2'].map((body, i) => ({ Id: String(i), MessageBody: body })),
      }),
    );
    source.start();
    const batches = () =>
      readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { bodies: string[]; receives: number[]; source: string });
    // bad-1 comes back once more after its visibility timeout, then moves to the dead-letter queue.
    await until(async () => (await drain(queue.dlqUrl)).includes('bad-1'));
    const all = batches();
    expect(all[0]?.bodies.sort()).toEqual(['bad-1', 'good-1', 'good-2']);
    expect(all[0]?.source).toBe(queue.arn);
    expect(all.flatMap((batch) => batch.bodies).filter((body) => body.startsWith('good'))).toHaveLength(2);
    expect(all.filter((batch) => batch.bodies.includes('bad-1')).map((batch) => batch.receives[batch.bodies.indexOf('bad-1')])).toEqual([1, 2]);
  } finally {
    await source.stop();
    await fn.stop();
  }
});

test('keeps every message of a batch whose invocation fails (an error, a timeout)', async () => {
  const queue = await queueWithDeadLetters('esm-whole');
  const log = join(dir, 'whole.log');
  writeFileSync(log, '');
  const fn = new LambdaFunction({
    name: 'esm-whole',
    bundleDirectory: dir,
    handler: 'src/lambda.handler',
    timeoutMs: 5000,
    memoryMb: 256,
    environment: { LOG: log },
  });
  const source = new SqsEventSource({
    sqs,
    queueUrl: queue.url,
    queueArn: queue.arn,
    region: 'us-east-1',
    function: fn,
    batchSize: 10,
    maximumBatchingWindowSeconds: 1,
    reportBatchItemFailures: true,
    concurrency: 1,
  });
  try {
    await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: ['fine', 'explode'].map((body, i) => ({ Id: String(i), MessageBody: body })) }),
    );
    source.start();
    // drain hides what it receives: count across polls, the two may reach the dead-letter queue one at a time.
    const deadLettered: string[] = [];
    await until(async () => deadLettered.push(...(await drain(queue.dlqUrl))) === 2);
    expect(deadLettered.sort()).toEqual(['explode', 'fine']);
  } finally {
    await source.stop();
    await fn.stop();
  }
});

test('an idle poller long-polls: it asks rarely, wakes for a message at once, and stop() ends its wait', async () => {
  const queue = await queueWithDeadLetters('esm-idle');
  const log = join(dir, 'idle.log');
  writeFileSync(log, '');
  const counted = new SQSClient(moto.clientConfig);
  let receives = 0;
  counted.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ReceiveMessageCommand') receives += 1;
      return next(args);
    },
    { step: 'initialize' },
  );
  const fn = new LambdaFunction({
    name: 'esm-idle',
    bundleDirectory: dir,
    handler: 'src/lambda.handler',
    timeoutMs: 5000,
    memoryMb: 256,
    environment: { LOG: log },
  });
  const source = new SqsEventSource({
    sqs: counted,
    queueUrl: queue.url,
    queueArn: queue.arn,
    region: 'us-east-1',
    function: fn,
    batchSize: 10,
    maximumBatchingWindowSeconds: 0,
    reportBatchItemFailures: true,
    concurrency: 2,
  });
  try {
    source.start();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    // One long poll per poller in 3 idle seconds (1 s polls asked 6 times).
    expect(receives).toBe(2);
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: [{ Id: '0', MessageBody: 'good-idle' }] }));
    await until(() => readFileSync(log, 'utf8').includes('good-idle'), 10_000);
  } finally {
    const stopping = Date.now();
    await source.stop();
    // Not a speed figure: without the abort, stop() would wait out the pollers' 20 s long polls.
    expect(Date.now() - stopping).toBeLessThan(IDLE_WAIT_SECONDS * 1000);
    await fn.stop();
    counted.destroy();
  }
});
