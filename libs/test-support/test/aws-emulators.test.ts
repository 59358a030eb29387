import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type AwsEmulators, type ObjectCreatedNotice, startAwsEmulators } from '../src';

describe('AWS emulators for tests', () => {
  let emulators: AwsEmulators;
  beforeAll(async () => {
    emulators = await startAwsEmulators();
  });
  afterAll(() => emulators.stop());

  it('serves S3 with range reads, conditional create (412) and Object Created notices', async () => {
    const s3 = new S3Client(emulators.clientConfig('s3'));
    const notices: ObjectCreatedNotice[] = [];
    emulators.onObjectCreated((notice) => notices.push(notice));
    await s3.send(new CreateBucketCommand({ Bucket: 'b1' }));
    await s3.send(new PutObjectCommand({ Bucket: 'b1', Key: 'a/b c.csv', Body: 'hello world', IfNoneMatch: '*' }));
    const part = await s3.send(new GetObjectCommand({ Bucket: 'b1', Key: 'a/b c.csv', Range: 'bytes=6-10' }));
    expect(await part.Body?.transformToString()).toBe('world');
    await expect(s3.send(new PutObjectCommand({ Bucket: 'b1', Key: 'a/b c.csv', Body: 'again', IfNoneMatch: '*' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 412 },
    });
    expect(notices).toEqual([{ bucket: 'b1', key: 'a/b c.csv' }]);
  });

  it('serves SQS and DynamoDB', async () => {
    const sqs = new SQSClient(emulators.clientConfig('sqs'));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'q1' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hi' }));
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1 }));
    expect(received.Messages?.[0]?.Body).toBe('hi');

    const dynamo = new DynamoDBClient(emulators.clientConfig('dynamodb'));
    await emulators.createTable('table-1');
    await dynamo.send(new PutItemCommand({ TableName: 'table-1', Item: { pk: { S: 'p' }, sk: { S: 's' }, v: { S: '' } } }));
    expect((await dynamo.send(new GetItemCommand({ TableName: 'table-1', Key: { pk: { S: 'p' }, sk: { S: 's' } } }))).Item?.v).toEqual({ S: '' });
  });
});
