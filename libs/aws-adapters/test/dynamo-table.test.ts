import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Item, ItemTooLargeError, MAX_ITEM_BYTES } from '@refinery/ports';
import { type AwsEmulators, startAwsEmulators } from '@refinery/test-support';
import { estimateItemBytes } from '../src/dynamo-item-size';
import { DynamoTable } from '../src/dynamo-table';

// What the table contract cannot show about the DynamoDB adapter: the requests it sends, and how it copes with answers
// dynalite never gives (UnprocessedItems). A middleware on the client records requests and, where a test needs it,
// plays DynamoDB's part of throttling a batch.

interface SentRequest {
  readonly command: string;
  /** The input as the adapter wrote it (before the document client marshals it). */
  readonly input: Record<string, unknown>;
}

type BatchRequests = Record<string, { PutRequest: { Item: Item } }[]>;

/** What a test's stand-in for DynamoDB does with a BatchWriteItem call: send part of it, or none, or fail it. */
type BatchBehaviour = (requests: BatchRequests, call: number) => { send: BatchRequests; unprocessed?: BatchRequests } | Error;

let emulators: AwsEmulators;
let serial = 0;
beforeAll(async () => {
  emulators = await startAwsEmulators();
});
afterAll(() => emulators.stop());

async function tableWith(batchBehaviour?: BatchBehaviour, batchRetry?: { maxAttempts: number; baseDelayMs: number }) {
  const client = new DynamoDBClient(emulators.clientConfig('dynamodb'));
  const tableName = `adapter-${(serial += 1)}`;
  await emulators.createTable(tableName);
  const sent: SentRequest[] = [];
  let batchCalls = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '';
      const input = args.input as Record<string, unknown>;
      sent.push({ command, input });
      if (command !== 'BatchWriteItemCommand' || !batchBehaviour) return next(args);
      const decision = batchBehaviour(input.RequestItems as BatchRequests, (batchCalls += 1));
      if (decision instanceof Error) throw decision;
      const sendsSomething = Object.values(decision.send).some((requests) => requests.length > 0);
      const result = sendsSomething
        ? await next({ ...args, input: { ...input, RequestItems: decision.send } })
        : { output: { $metadata: {} }, response: {} };
      (result.output as { UnprocessedItems?: BatchRequests }).UnprocessedItems = decision.unprocessed ?? {};
      return result;
    },
    // At initialize the document client has not marshalled the input yet, and has already unmarshalled the output.
    { step: 'initialize', name: 'recordRequests' },
  );
  const table = new DynamoTable({ client, tableName, ...(batchRetry ? { batchRetry } : {}) });
  return { table, tableName, sent };
}

const itemsOf = (count: number): Item[] => Array.from({ length: count }, (_, i) => ({ pk: 'p', sk: `s#${String(i).padStart(3, '0')}`, i }));
const sizesOf = (sent: readonly SentRequest[], tableName: string) =>
  sent
    .filter((request) => request.command === 'BatchWriteItemCommand')
    .map((request) => (request.input.RequestItems as BatchRequests)[tableName]?.length);

/** The tokens of an expression once its placeholders are gone: only functions, keywords and operators may remain. */
function tokensBesidesPlaceholders(expression: unknown): string[] {
  return String(expression)
    .replace(/#n\d+|:v\d+/g, ' ')
    .split(/[\s(),]+/)
    .filter(Boolean);
}

describe('DynamoTable (what the contract cannot show)', () => {
  it('resends the items DynamoDB returns unprocessed until every one is written', async () => {
    const { table, tableName, sent } = await tableWith((requests, call) => {
      const pending = requests[tableName] ?? [];
      if (call > 2) return { send: requests };
      // Throttled: DynamoDB writes the first half and hands the rest back.
      const half = Math.ceil(pending.length / 2);
      return { send: { [tableName]: pending.slice(0, half) }, unprocessed: { [tableName]: pending.slice(half) } };
    });
    await table.batchPut(itemsOf(60));
    // 25 (13 written), the 12 left (6 written), the 6 left; then the second 25 and the last 10.
    expect(sizesOf(sent, tableName)).toEqual([25, 12, 6, 25, 10]);
    const resent = (sent.filter((request) => request.command === 'BatchWriteItemCommand')[1]?.input.RequestItems as BatchRequests | undefined)?.[
      tableName
    ];
    expect(resent?.map((request) => request.PutRequest.Item.sk)).toEqual(
      itemsOf(25)
        .slice(13)
        .map((item) => item.sk),
    );
    expect((await table.query('p', { limit: 100 })).items).toEqual(itemsOf(60));
  });

  it('gives up with a clear error when items stay unprocessed, after backing off between attempts', async () => {
    const { table, tableName, sent } = await tableWith((requests) => ({ send: {}, unprocessed: requests }), { maxAttempts: 3, baseDelayMs: 20 });
    const started = Date.now();
    await expect(table.batchPut(itemsOf(3))).rejects.toThrow(`batchPut to ${tableName}: 3 item(s) still unprocessed after 3 attempts`);
    expect(sizesOf(sent, tableName)).toEqual([3, 3, 3]);
    // Backoff of at least 10 ms, then at least 20 ms (half of 20 ms doubling, plus jitter).
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
  });

  it('names the largest item when DynamoDB refuses a batch for item size', async () => {
    const refusal = Object.assign(new Error('Item size has exceeded the maximum allowed size'), { name: 'ValidationException' });
    const { table } = await tableWith(() => refusal);
    const items: Item[] = [
      { pk: 'p', sk: 'small', v: 'x' },
      { pk: 'p', sk: 'largest', v: 'x'.repeat(1000) },
    ];
    const failure = table.batchPut(items);
    await expect(failure).rejects.toBeInstanceOf(ItemTooLargeError);
    await expect(failure).rejects.toMatchObject({ key: { pk: 'p', sk: 'largest' }, sizeBytes: estimateItemBytes(items[1] as Item) });
  });

  it('estimates item sizes the way DynamoDB (here dynalite) counts them, to the byte', async () => {
    const { table } = await tableWith();
    const shape = (blob: number): Item => ({ pk: 'p', sk: 's', flag: true, n: 12345, list: ['a', 'bb', { k: 'v' }], blob: 'x'.repeat(blob) });
    const base = estimateItemBytes(shape(0));
    const atLimit = shape(MAX_ITEM_BYTES - base);
    expect(estimateItemBytes(atLimit)).toBe(MAX_ITEM_BYTES);
    await table.put(atLimit);
    const over = shape(MAX_ITEM_BYTES - base + 1);
    await expect(table.put(over)).rejects.toMatchObject({ name: 'ItemTooLargeError', sizeBytes: MAX_ITEM_BYTES + 1 });
    // pk 2+1, sk 2+1, n 1+2 (a number is at least 2), neg 3+2, empty 5+0, none 4+1, map 3+3.
    expect(estimateItemBytes({ pk: 'p', sk: 's', n: 0, neg: -1.5, empty: '', none: null, map: {} })).toBe(30);
  });

  it('sends conditions and updates with placeholders only, and leaves empty set additions out', async () => {
    const { table, sent } = await tableWith();
    await table.put({ pk: 'p', sk: 's', status: 'open', old: 1 });
    sent.length = 0;
    await table.update(
      { pk: 'p', sk: 's' },
      { set: { status: 'done', 'a.b': 1 }, increment: { size: 2 }, addToSet: { done: ['b', 'a'], nothing: [] }, remove: ['old'] },
      {
        condition: {
          kind: 'anyOf',
          conditions: [
            { kind: 'attributeNotExists', attribute: 'status' },
            { kind: 'attributeNotEquals', attribute: 'status', value: 'failed' },
          ],
        },
      },
    );
    const input = sent[0]?.input ?? {};
    expect(sent[0]?.command).toBe('UpdateItemCommand');
    expect(new Set(tokensBesidesPlaceholders(input.UpdateExpression))).toEqual(new Set(['SET', '=', 'ADD', 'REMOVE']));
    expect(new Set(tokensBesidesPlaceholders(input.ConditionExpression))).toEqual(
      new Set(['attribute_not_exists', 'OR', 'attribute_exists', 'AND', '<>']),
    );
    expect(Object.values(input.ExpressionAttributeNames as Record<string, string>).sort()).toEqual(['a.b', 'done', 'old', 'size', 'status']);
    expect(Object.values(input.ExpressionAttributeValues as Record<string, unknown>)).toContainEqual(new Set(['b', 'a']));
    expect(input.ReturnValues).toBe('ALL_NEW');
    expect(await table.get({ pk: 'p', sk: 's' })).toEqual({ pk: 'p', sk: 's', status: 'done', 'a.b': 1, size: 2, done: ['a', 'b'] });
  });

  it('refuses a batch with an oversized item before sending any of it, even past the first 25', async () => {
    const { table, tableName, sent } = await tableWith();
    const items = itemsOf(30);
    items[28] = { pk: 'p', sk: 'too-big', blob: 'x'.repeat(MAX_ITEM_BYTES) };
    await expect(table.batchPut(items)).rejects.toMatchObject({ name: 'ItemTooLargeError', key: { pk: 'p', sk: 'too-big' } });
    expect(sizesOf(sent, tableName)).toEqual([]);
    expect((await table.query('p')).items).toEqual([]);
  });

  it('creates an item from an update that only adds empty sets (DynamoDB has no empty set)', async () => {
    const { table, sent } = await tableWith();
    expect(await table.update({ pk: 'p', sk: 's' }, { addToSet: { done: [] } })).toEqual({ pk: 'p', sk: 's' });
    expect(sent[0]?.input.UpdateExpression).toBeUndefined();
    expect(await table.get({ pk: 'p', sk: 's' })).toEqual({ pk: 'p', sk: 's' });
  });

  it('reads strongly consistently and pages with ExclusiveStartKey', async () => {
    const { table, sent } = await tableWith();
    await table.batchPut(itemsOf(5));
    sent.length = 0;
    await table.get({ pk: 'p', sk: 's#000' });
    await table.query('p', { beginsWith: 's#', after: 's#003', limit: 2, reverse: true });
    expect(sent[0]?.input).toMatchObject({ ConsistentRead: true, Key: { pk: 'p', sk: 's#000' } });
    expect(sent[1]?.input).toMatchObject({ ConsistentRead: true, ScanIndexForward: false, Limit: 2, ExclusiveStartKey: { pk: 'p', sk: 's#003' } });
    expect(tokensBesidesPlaceholders(sent[1]?.input.KeyConditionExpression)).toEqual(['=', 'AND', 'begins_with']);
  });

  it('gets a lastKey from DynamoDB on a full last page (the case the contract allows for)', async () => {
    const { table } = await tableWith();
    await table.batchPut(itemsOf(3));
    const page = await table.query('p', { limit: 3 });
    expect(page).toEqual({ items: itemsOf(3), lastKey: 's#002' });
    expect(await table.query('p', { limit: 3, after: page.lastKey })).toEqual({ items: [] });
  });

  describe('transact: what DynamoDB answers under contention (dynalite has no transactions: a stand-in answers)', () => {
    /** A table whose TransactWriteItems calls are answered by `answer` (call number from 1), recording each input. */
    function transactingTable(answer: (call: number) => Error | undefined, transactRetry = { maxAttempts: 4, baseDelayMs: 1 }) {
      const client = new DynamoDBClient(emulators.clientConfig('dynamodb'));
      const inputs: Record<string, unknown>[] = [];
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
          inputs.push(args.input as Record<string, unknown>);
          const error = answer(inputs.length);
          if (error) throw error;
          return { output: { $metadata: {} }, response: {} };
        },
        { step: 'initialize', name: 'answerTransactions' },
      );
      return { table: new DynamoTable({ client, tableName: 'transactions', transactRetry }), inputs };
    }
    const cancelled = (...codes: string[]) =>
      Object.assign(new Error('Transaction cancelled'), {
        name: 'TransactionCanceledException',
        CancellationReasons: codes.map((Code) => ({ Code })),
      });
    const writes = [
      { kind: 'put', item: { pk: 'job#1', sk: 'event#e1', at: 'x' }, condition: { kind: 'itemNotExists' } },
      { kind: 'update', key: { pk: 'job#1', sk: 'state' }, update: { increment: { version: 1 } } },
    ] as const;

    it('sends one TransactWriteItems with a condition per write, and retries a conflict until it goes through', async () => {
      const { table, inputs } = transactingTable((call) => (call < 3 ? cancelled('None', 'TransactionConflict') : undefined));
      await table.transact(writes);
      expect(inputs).toHaveLength(3);
      expect(inputs[2]).toEqual(inputs[0]);
      const items = inputs[0]?.TransactItems as Record<string, Record<string, unknown>>[];
      expect(items[0]?.Put).toMatchObject({ TableName: 'transactions', Item: writes[0].item, ConditionExpression: 'attribute_not_exists(#n0)' });
      expect(items[1]?.Update).toMatchObject({ TableName: 'transactions', Key: { pk: 'job#1', sk: 'state' }, UpdateExpression: 'ADD #n0 :v0' });
    });

    it('gives up on a conflict that outlasts its retries, with what to do', async () => {
      const { table, inputs } = transactingTable(() => cancelled('TransactionConflict', 'None'));
      await expect(table.transact(writes)).rejects.toThrow(/still conflicted with concurrent transactions after 4 attempts; it can be repeated/);
      expect(inputs).toHaveLength(4);
    });

    it('names the write whose condition failed, and does not retry it', async () => {
      const { table, inputs } = transactingTable(() => cancelled('ConditionalCheckFailed', 'None'));
      await expect(table.transact(writes)).rejects.toMatchObject({ name: 'ConditionFailedError', key: { pk: 'job#1', sk: 'event#e1' }, index: 0 });
      expect(inputs).toHaveLength(1);
    });

    it('passes other failures on as they are', async () => {
      const { table } = transactingTable(() => Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
      await expect(table.transact(writes)).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    });
  });
});
