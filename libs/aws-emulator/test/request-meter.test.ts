import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  eventEntryChunks,
  type MeteringProxy,
  MOTO_REGION,
  type MotoServer,
  readUnits,
  sqsRequests,
  startMeteringProxy,
  startMotoServer,
  wireItemBytes,
  writeUnits,
} from '../src';

// The request meter bills what it sees as AWS would: checked against requests whose bill is known, sent with the SDK
// through the metering proxy to moto.

jest.setTimeout(60_000);

const KB = 1024;

describe('billing rules', () => {
  it('sizes items as DynamoDB documents it: names plus values, numbers by significant digits', () => {
    expect(wireItemBytes({ pk: { S: 'a' }, n: { N: '12345' }, ok: { BOOL: true }, list: { L: [{ S: 'xy' }, { NULL: true }] } })).toBe(
      2 + 1 + (1 + 4) + (2 + 1) + (4 + 3 + (1 + 2) + (1 + 1)),
    );
    expect(wireItemBytes({ m: { M: { k: { S: 'abc' } } } })).toBe(1 + 3 + 1 + 1 + 3);
    // '-0.00120': two significant digits, one byte, plus one.
    expect(wireItemBytes({ n: { N: '-0.00120' } })).toBe(1 + 2);
  });

  it('rounds reads to 4 KB and writes to 1 KB, a read or write of nothing still one unit', () => {
    expect(readUnits(9 * KB, 'strong')).toBe(3);
    expect(readUnits(9 * KB, 'eventual')).toBe(1.5);
    expect(readUnits(9 * KB, 'transactional')).toBe(6);
    expect(readUnits(0, 'strong')).toBe(1);
    expect(writeUnits(3.5 * KB)).toBe(4);
    expect(writeUnits(3.5 * KB, true)).toBe(8);
    expect(writeUnits(0)).toBe(1);
  });

  it('counts an EventBridge entry and an SQS payload in 64 KB chunks', () => {
    expect(eventEntryChunks({ Source: 's', DetailType: 'd', Detail: '{}' })).toBe(1);
    expect(eventEntryChunks({ Source: 's', DetailType: 'd', Detail: 'x'.repeat(64 * KB) })).toBe(2);
    expect(sqsRequests(0)).toBe(1);
    expect(sqsRequests(64 * KB)).toBe(1);
    expect(sqsRequests(64 * KB + 1)).toBe(2);
  });
});

describe('the metering proxy in front of moto', () => {
  let moto: MotoServer;
  let proxy: MeteringProxy;
  let config: MotoServer['clientConfig'];
  beforeAll(async () => {
    moto = await startMotoServer();
    proxy = await startMeteringProxy({ target: moto.endpoint, region: MOTO_REGION });
    config = { ...moto.clientConfig, endpoint: proxy.endpoint };
  });
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
  });
  beforeEach(() => proxy.meter.reset());

  /** An item of exactly `bytes` (pk and sk of one character, the rest in `data`). */
  const itemOf = (sk: string, bytes: number) => ({ pk: { S: 'p' }, sk: { S: sk }, data: { S: 'x'.repeat(bytes - 3 - 3 - 4) } });

  it('bills DynamoDB reads and writes in units, a change on the larger of the item before and after', async () => {
    const dynamodb = new DynamoDBClient(config);
    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'metered',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
      }),
    );
    proxy.meter.reset();
    const units = () => proxy.meter.snapshot().dynamodb;
    const billed = async (send: () => Promise<unknown>) => {
      const before = units();
      await send().catch(() => undefined);
      const after = units();
      return { read: after.readUnits - before.readUnits, write: after.writeUnits - before.writeUnits };
    };
    const key = (sk: string) => ({ pk: { S: 'p' }, sk: { S: sk } });

    // A Put of a 3.5 KB item: 4 write units.
    expect(await billed(() => dynamodb.send(new PutItemCommand({ TableName: 'metered', Item: itemOf('a', 3.5 * KB) })))).toEqual({
      read: 0,
      write: 4,
    });
    // A 9 KB item read strongly and eventually consistently: 3 and 1.5 read units.
    await dynamodb.send(new PutItemCommand({ TableName: 'metered', Item: itemOf('b', 9 * KB) }));
    const get = (sk: string, ConsistentRead: boolean) => () =>
      dynamodb.send(new GetItemCommand({ TableName: 'metered', Key: key(sk), ConsistentRead }));
    expect(await billed(get('b', true))).toEqual({ read: 3, write: 0 });
    expect(await billed(get('b', false))).toEqual({ read: 1.5, write: 0 });
    // A Get of nothing still reads one unit.
    expect(await billed(get('none', true))).toEqual({ read: 1, write: 0 });
    // Overwriting the 9 KB item with a 1 KB one: billed on the 9 KB before.
    expect(await billed(() => dynamodb.send(new PutItemCommand({ TableName: 'metered', Item: itemOf('b', KB) })))).toEqual({ read: 0, write: 9 });
    // An update growing the 3.5 KB item to 5.5 KB: billed on the 5.5 KB after.
    const grow = () =>
      dynamodb.send(
        new UpdateItemCommand({
          TableName: 'metered',
          Key: key('a'),
          UpdateExpression: 'SET more = :more',
          ExpressionAttributeValues: { ':more': { S: 'y'.repeat(2 * KB - 4) } },
          ReturnValues: 'ALL_NEW',
        }),
      );
    expect(await billed(grow)).toEqual({ read: 0, write: 6 });
    // An update that does not return its result, shrinking the item back to 3.5 KB: billed on the 5.5 KB before.
    const shrink = () => dynamodb.send(new UpdateItemCommand({ TableName: 'metered', Key: key('a'), UpdateExpression: 'REMOVE more' }));
    expect(await billed(shrink)).toEqual({ read: 0, write: 6 });
    // Its new size is looked up when next needed: deleting it is billed on its 3.5 KB.
    expect(await billed(() => dynamodb.send(new DeleteItemCommand({ TableName: 'metered', Key: key('a') })))).toEqual({ read: 0, write: 4 });
    // A Put refused by its condition is billed all the same (on the larger of the 1 KB there and the 2 KB refused).
    const refused = () =>
      dynamodb.send(new PutItemCommand({ TableName: 'metered', Item: itemOf('b', 2 * KB), ConditionExpression: 'attribute_not_exists(pk)' }));
    expect(await billed(refused)).toEqual({ read: 0, write: 2 });
    // BatchWriteItem per item: three 500-byte items are three units, not one.
    const batch = () =>
      dynamodb.send(
        new BatchWriteItemCommand({ RequestItems: { metered: ['c1', 'c2', 'c3'].map((sk) => ({ PutRequest: { Item: itemOf(sk, 500) } })) } }),
      );
    expect(await billed(batch)).toEqual({ read: 0, write: 3 });
    // A Query is billed on the summed size of what it read: 1 KB + 3 x 500 B, one unit, not four; nothing, one unit.
    const query = (pk: string) => () =>
      dynamodb.send(
        new QueryCommand({
          TableName: 'metered',
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: pk } },
          ConsistentRead: true,
        }),
      );
    expect(await billed(query('p'))).toEqual({ read: 1, write: 0 });
    expect(await billed(query('nobody'))).toEqual({ read: 1, write: 0 });
    // A transactional Put of 1.5 KB: twice its 2 units.
    const transaction = () =>
      dynamodb.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: 'metered', Item: itemOf('t', 1.5 * KB) } }] }));
    expect(await billed(transaction)).toEqual({ read: 0, write: 4 });
    expect(units().requests).toEqual({
      PutItem: 4,
      GetItem: 3,
      UpdateItem: 2,
      DeleteItem: 1,
      BatchWriteItem: 1,
      Query: 2,
      TransactWriteItems: 1,
    });
    // The same, by table: a batch's and a transaction's items name theirs.
    expect(units().requestsByTable).toEqual({
      'PutItem metered': 4,
      'GetItem metered': 3,
      'UpdateItem metered': 2,
      'DeleteItem metered': 1,
      'BatchWriteItem metered': 1,
      'Query metered': 2,
      'TransactWriteItems metered': 1,
    });
  });

  it('sorts S3 requests into tier 1 (PUT, COPY, LIST) and tier 2 (GET, HEAD); DELETE is free', async () => {
    const s3 = new S3Client({ ...config, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'metered' }));
    proxy.meter.reset();
    await s3.send(new PutObjectCommand({ Bucket: 'metered', Key: 'a/one.csv', Body: 'x' }));
    await s3.send(new CopyObjectCommand({ Bucket: 'metered', Key: 'a/two.csv', CopySource: 'metered/a/one.csv' }));
    await s3.send(new ListObjectsV2Command({ Bucket: 'metered', Prefix: 'a/' }));
    await (await s3.send(new GetObjectCommand({ Bucket: 'metered', Key: 'a/two.csv' }))).Body?.transformToString();
    await s3.send(new HeadObjectCommand({ Bucket: 'metered', Key: 'a/one.csv' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'metered', Key: 'a/one.csv' }));
    expect(proxy.meter.snapshot().s3).toEqual({ tier1: 3, tier2: 2, requests: { PUT: 1, COPY: 1, LIST: 1, GET: 1, HEAD: 1, DELETE: 1 } });
  });

  it("counts EventBridge entries by 64 KB and SQS requests by payload, EventBridge's deliveries to a queue included", async () => {
    const sqs = new SQSClient(config);
    const events = new EventBridgeClient(config);
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'metered' }))).QueueUrl as string;
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    await events.send(new PutRuleCommand({ Name: 'metered', EventPattern: JSON.stringify({ source: ['meter.test'] }) }));
    await events.send(new PutTargetsCommand({ Rule: 'metered', Targets: [{ Id: 'q', Arn: arn }] }));
    proxy.meter.reset();

    // One message a receive, so each receive's payload is one message's.
    const receive = () =>
      sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 1, MessageSystemAttributeNames: ['All'] }));
    expect((await receive()).Messages ?? []).toHaveLength(0);
    // Two entries, the second 70 KB (two 64 KB chunks): three events; each delivered to the queue (two sends).
    await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'meter.test', DetailType: 'small', Detail: '{}' },
          { Source: 'meter.test', DetailType: 'large', Detail: JSON.stringify({ x: 'x'.repeat(70 * KB) }) },
        ],
      }),
    );
    // A message sent directly: one send of 100 KB is two requests, and its receive is not a delivery.
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'y'.repeat(100 * KB) }));
    let received = 0;
    while (received < 3) received += ((await receive()).Messages ?? []).length;
    const { sqs: counted, eventBridge } = proxy.meter.snapshot();
    expect(eventBridge).toEqual({ putEventsCalls: 1, entries: 3 });
    expect(counted.emptyReceives).toBeGreaterThanOrEqual(1);
    expect(counted.deliveries).toBe(2);
    // Sends: 2 (the direct 100 KB one) + 1 (the small event's delivery) + 2 (the 70 KB event's); the receives the
    // same again, one message each.
    expect(counted.requests).toBe(10);
  });
});
