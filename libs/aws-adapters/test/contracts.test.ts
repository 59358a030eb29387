import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { type MotoServer, startMotoServer } from '@refinery/aws-emulator';
import { describeObjectStoreContract, fetchPresignedOverHttp } from '@refinery/port-contracts/src/object-store';
import { describeTableContract, describeTransactContract } from '@refinery/port-contracts/src/table';
import { type AwsEmulators, startAwsEmulators } from '@refinery/test-support';
import { DynamoTable } from '../src/dynamo-table';
import { MIN_PART_SIZE_BYTES, S3ObjectStore } from '../src/s3-object-store';

// The AWS family of the object-store and table contracts: S3ObjectStore against fauxqs, DynamoTable against dynalite,
// both in this process. Every test gets a bucket or table of its own. What the emulators cannot show (signature checks,
// Content-Disposition, UnprocessedItems) is tested in s3-object-store.test.ts and dynamo-table.test.ts. dynalite has no
// TransactWriteItems: the transaction part of the table contract runs against moto's server (libs/aws-emulator).

let emulators: AwsEmulators;
let s3: S3Client;
let dynamo: DynamoDBClient;
let moto: MotoServer;
let motoDynamo: DynamoDBClient;
let serial = 0;

beforeAll(async () => {
  [emulators, moto] = await Promise.all([startAwsEmulators(), startMotoServer()]);
  s3 = new S3Client(emulators.clientConfig('s3'));
  dynamo = new DynamoDBClient(emulators.clientConfig('dynamodb'));
  motoDynamo = new DynamoDBClient(moto.clientConfig);
}, 60_000);
afterAll(async () => {
  s3.destroy();
  dynamo.destroy();
  motoDynamo?.destroy();
  await Promise.all([emulators.stop(), moto?.stop()]);
});

describeObjectStoreContract('S3ObjectStore on fauxqs', async () => {
  const bucket = `contract-${(serial += 1)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    // The smallest part S3 allows, so the several-MB streams of the contract become real multipart uploads.
    store: new S3ObjectStore({ client: s3, partSizeBytes: MIN_PART_SIZE_BYTES }),
    bucket,
    fetchPresigned: fetchPresignedOverHttp,
    // Deleting the bucket fails while a multipart upload is still open in it: a test that left one behind fails here.
    cleanup: async () => {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      const keys = (listed.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
      if (keys.length) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    },
  };
});

describeTableContract(
  'DynamoTable on dynalite',
  async () => {
    const tableName = `contract-${(serial += 1)}`;
    await emulators.createTable(tableName);
    return {
      table: new DynamoTable({ client: dynamo, tableName }),
      cleanup: async () => {
        await dynamo.send(new DeleteTableCommand({ TableName: tableName }));
      },
    };
  },
  { withoutTransactions: 'dynalite has no TransactWriteItems; this part runs on moto below' },
);

describeTransactContract('DynamoTable on moto', async () => {
  const tableName = `contract-${(serial += 1)}`;
  await motoDynamo.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return {
    table: new DynamoTable({ client: motoDynamo, tableName }),
    cleanup: async () => {
      await motoDynamo.send(new DeleteTableCommand({ TableName: tableName }));
    },
  };
});
