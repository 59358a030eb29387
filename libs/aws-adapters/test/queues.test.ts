import { type BatchResultErrorEntry, CreateQueueCommand, type ServiceOutputTypes, SQSClient } from '@aws-sdk/client-sqs';
import { type AwsEmulators, startAwsEmulators } from '@refinery/test-support';
import { SqsQueues, type SqsQueuesOptions } from '../src/sqs-queues';

// What the queues contract cannot show: how SqsQueues calls SQS (batch sizes, attribute names, retries of failed
// entries, which failures it ignores), checked on the calls the SDK client makes to fauxqs.

interface Call {
  readonly command: string;
  readonly input: Record<string, unknown>;
}

/** Rewrites one call: may drop entries from its input and add failures to its output (as SQS reports them). */
type Tamper = (command: string, input: Record<string, unknown>) => BatchResultErrorEntry[] | undefined;

let emulators: AwsEmulators;
beforeAll(async () => {
  emulators = await startAwsEmulators();
});
afterAll(() => emulators.stop());

const clients: SQSClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
});

function subject(options: Partial<SqsQueuesOptions> & { tamper?: Tamper } = {}): {
  queues: SqsQueues;
  client: SQSClient;
  calls: Call[];
  sleeps: number[];
} {
  const client = new SQSClient({ ...emulators.clientConfig('sqs'), maxAttempts: 1 });
  clients.push(client);
  const calls: Call[] = [];
  const sleeps: number[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const command = String(context.commandName).replace(/Command$/, '');
      const injected = options.tamper?.(command, input);
      calls.push({ command, input: structuredClone(input) });
      // A batch left with no entries is answered here: SQS refuses an empty batch, and every entry failed anyway.
      if (injected && Array.isArray(input.Entries) && input.Entries.length === 0) {
        return { output: { $metadata: {}, Successful: [], Failed: injected } as ServiceOutputTypes, response: {} };
      }
      const result = await next(args);
      if (injected) {
        const output = result.output as ServiceOutputTypes & { Failed?: BatchResultErrorEntry[] };
        output.Failed = [...(output.Failed ?? []), ...injected];
      }
      return result;
    },
    { step: 'initialize', name: 'recordCalls' },
  );
  const queues = new SqsQueues({
    client,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
  return { queues, client, calls, sleeps };
}

async function createQueue(client: SQSClient): Promise<string> {
  const name = `unit-${Math.random().toString(36).slice(2, 10)}`;
  await client.send(new CreateQueueCommand({ QueueName: name }));
  return name;
}

const entriesOf = (calls: Call[], command: string): Record<string, unknown>[][] =>
  calls.filter((call) => call.command === command).map((call) => call.input.Entries as Record<string, unknown>[]);

/** Drops the entries with the given ids from the first matching call and reports them failed. */
function failOnce(command: string, failure: Omit<BatchResultErrorEntry, 'Id'>, ...ids: string[]): Tamper {
  let done = false;
  return (name, input) => {
    if (done || name !== command) return undefined;
    done = true;
    input.Entries = (input.Entries as { Id: string }[]).filter((entry) => !ids.includes(entry.Id));
    return ids.map((Id) => ({ Id, ...failure }));
  };
}

describe('SqsQueues: send', () => {
  it('sends in batches of at most 10 entries and 256 KiB; a larger body travels alone', async () => {
    const { queues, client, calls } = subject();
    const queue = await createQueue(client);
    const small = Array.from({ length: 23 }, (_, index) => `small-${index}`);
    const large = Array.from({ length: 5 }, (_, index) => `${index}${'l'.repeat(100 * 1024)}`);
    await queues.send(queue, [...small, ...large, 'x'.repeat(300 * 1024), 'last']);
    expect(entriesOf(calls, 'SendMessageBatch').map((entries) => entries.length)).toEqual([10, 10, 5, 2, 1, 1, 1]);
    for (const entries of entriesOf(calls, 'SendMessageBatch')) {
      const bytes = entries.reduce((sum, entry) => sum + Buffer.byteLength(String(entry.MessageBody)), 0);
      if (entries.length > 1) expect(bytes).toBeLessThanOrEqual(256 * 1024);
    }
    expect((await queues.depth(queue)).visible).toBe(30);
  });

  it('resends only the entries SQS failed on its side, after a jittered backoff', async () => {
    const tamper = failOnce('SendMessageBatch', { SenderFault: false, Code: 'InternalError', Message: 'try again' }, '1', '3');
    const { queues, client, calls, sleeps } = subject({ tamper });
    const queue = await createQueue(client);
    await queues.send(queue, ['a', 'b', 'c', 'd']);
    const sends = entriesOf(calls, 'SendMessageBatch');
    expect(sends.map((entries) => entries.map((entry) => entry.MessageBody))).toEqual([
      ['a', 'c'],
      ['b', 'd'],
    ]);
    expect(sleeps).toEqual([50]);
    const received = await queues.receive(queue, { max: 10 });
    expect(received.map((message) => message.body).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('gives up after maxAttempts, naming how many entries failed and why', async () => {
    const failure = { SenderFault: false, Code: 'ServiceUnavailable', Message: 'busy' };
    const tamper: Tamper = (name, input) =>
      name === 'SendMessageBatch' ? (input.Entries as { Id: string }[]).splice(0).map((entry) => ({ Id: entry.Id, ...failure })) : undefined;
    const { queues, client, sleeps } = subject({ tamper, maxAttempts: 3 });
    const queue = await createQueue(client);
    await expect(queues.send(queue, ['a', 'b'])).rejects.toThrow(
      'SQS SendMessageBatch: 2 of 2 entries still failed after 3 attempts (ServiceUnavailable)',
    );
    expect(sleeps).toEqual([50, 100]);
  });

  it("throws at once on a failure that is the sender's fault", async () => {
    const tamper = failOnce('SendMessageBatch', { SenderFault: true, Code: 'InvalidParameterValue', Message: 'Message must be shorter' }, '0');
    const { queues, client, sleeps } = subject({ tamper });
    const queue = await createQueue(client);
    await expect(queues.send(queue, ['a', 'b'])).rejects.toThrow(
      'SQS SendMessageBatch refused entry 0: InvalidParameterValue: Message must be shorter',
    );
    expect(sleeps).toEqual([]);
  });
});

describe('SqsQueues: receive and delete', () => {
  it('asks for the system attributes under both names, and passes the limits through', async () => {
    const { queues, client, calls } = subject();
    const queue = await createQueue(client);
    await queues.send(queue, ['a']);
    const [message] = await queues.receive(queue, { max: 7, visibilityTimeoutSeconds: 12, waitSeconds: 1 });
    await queues.receive(queue, { max: 1 });
    const [first, second] = calls.filter((call) => call.command === 'ReceiveMessage').map((call) => call.input);
    expect(first).toMatchObject({
      MaxNumberOfMessages: 7,
      VisibilityTimeout: 12,
      WaitTimeSeconds: 1,
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'ApproximateFirstReceiveTimestamp'],
      AttributeNames: ['All'],
    });
    // No wait given: the queue's own ReceiveMessageWaitTimeSeconds applies, as for any SQS consumer.
    expect(second?.WaitTimeSeconds).toBeUndefined();
    expect(message?.firstReceivedAt).toBeInstanceOf(Date);
  });

  it('deletes in batches of 10, once per handle, ignoring handles SQS calls invalid or expired', async () => {
    let call = 0;
    const tamper: Tamper = (name, input) => {
      if (name !== 'DeleteMessageBatch' || (call += 1) > 1) return undefined;
      input.Entries = (input.Entries as { Id: string }[]).filter((entry) => !['0', '1'].includes(entry.Id));
      return [
        { Id: '0', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'The input receipt handle is invalid.' },
        {
          Id: '1',
          SenderFault: true,
          Code: 'InvalidParameterValue',
          Message: 'Value x for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.',
        },
      ];
    };
    const { queues, client, calls } = subject({ tamper });
    const queue = await createQueue(client);
    await queues.send(
      queue,
      Array.from({ length: 25 }, (_, index) => `m${index}`),
    );
    const received = [
      ...(await queues.receive(queue, { max: 10 })),
      ...(await queues.receive(queue, { max: 10 })),
      ...(await queues.receive(queue, { max: 10 })),
    ];
    expect(received).toHaveLength(25);
    const handles = received.map((message) => message.receiptHandle);
    await queues.delete(queue, [...handles, handles[24]!]);
    expect(entriesOf(calls, 'DeleteMessageBatch').map((entries) => entries.length)).toEqual([8, 10, 5]);
  });

  it('throws on any other delete failure', async () => {
    const tamper = failOnce('DeleteMessageBatch', { SenderFault: true, Code: 'AccessDenied', Message: 'not yours' }, '0');
    const { queues, client } = subject({ tamper });
    const queue = await createQueue(client);
    await queues.send(queue, ['a']);
    const [message] = await queues.receive(queue, { max: 1 });
    await expect(queues.delete(queue, [message!.receiptHandle])).rejects.toThrow('SQS DeleteMessageBatch refused entry 0: AccessDenied: not yours');
  });
});

describe('SqsQueues: queue URLs', () => {
  it('looks a queue URL up once, but not a failed look-up', async () => {
    const { queues, client, calls } = subject();
    const name = `late-${Math.random().toString(36).slice(2, 10)}`;
    await expect(queues.send(name, ['a'])).rejects.toThrow(`queue ${name} does not exist`);
    await client.send(new CreateQueueCommand({ QueueName: name }));
    await queues.send(name, ['a']);
    await queues.send(name, ['b']);
    await queues.depth(name);
    expect(calls.filter((call) => call.command === 'GetQueueUrl')).toHaveLength(2);
  });

  it('uses the given queueUrlOf instead of GetQueueUrl', async () => {
    const setup = subject();
    const queue = await createQueue(setup.client);
    const url = (await setup.client.send(new CreateQueueCommand({ QueueName: queue }))).QueueUrl!;
    const asked: string[] = [];
    const { queues, calls } = subject({
      queueUrlOf: async (name) => {
        asked.push(name);
        return url;
      },
    });
    await queues.send('logical-name', ['a']);
    expect(asked).toEqual(['logical-name']);
    expect(calls.map((call) => call.command)).toEqual(['SendMessageBatch']);
  });
});

describe('SqsQueues: peek and redrive', () => {
  it('scans with a long poll and a 30-second visibility timeout, and releases what it saw with visibility 0', async () => {
    const { queues, client, calls } = subject();
    const queue = await createQueue(client);
    await queues.send(queue, ['a', 'b', 'c']);
    expect(await queues.peek(queue, 2)).toHaveLength(2);
    const receives = calls.filter((call) => call.command === 'ReceiveMessage').map((call) => call.input);
    expect(receives).toEqual([expect.objectContaining({ MaxNumberOfMessages: 2, VisibilityTimeout: 30, WaitTimeSeconds: 1 })]);
    const [released] = entriesOf(calls, 'ChangeMessageVisibilityBatch');
    expect(released?.map((entry) => entry.VisibilityTimeout)).toEqual([0, 0]);
    expect(await queues.depth(queue)).toEqual({ visible: 3, inFlight: 0 });
  });

  it('stops scanning a dead-letter queue once every message asked for is moved', async () => {
    const { queues, client, calls } = subject({ scanWaitSeconds: 0 });
    const dlq = await createQueue(client);
    const target = await createQueue(client);
    await queues.send(
      dlq,
      Array.from({ length: 15 }, (_, index) => `d${index}`),
    );
    const [chosen] = await queues.peek(dlq, 1);
    calls.length = 0;
    expect(await queues.redrive(dlq, target, { messageIds: [chosen!.id] })).toBe(1);
    const receives = calls.filter((call) => call.command === 'ReceiveMessage');
    expect(receives.length).toBeLessThanOrEqual(2);
    expect(await queues.depth(dlq)).toEqual({ visible: 14, inFlight: 0 });
    expect((await queues.receive(target, { max: 10 })).map((message) => message.body)).toEqual([chosen!.body]);
  });
});
