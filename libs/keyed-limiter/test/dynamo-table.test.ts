import { DeleteTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoTable } from '@refinery/aws-adapters';
import { type AwsEmulators, startAwsEmulators } from '@refinery/test-support';
import { describeKeyedLimiterSuite } from './limiter-suite';

// The suite on DynamoTable against dynalite (started once for the file); every test gets a table of its own.

let emulators: AwsEmulators;
let dynamo: DynamoDBClient;
let serial = 0;

beforeAll(async () => {
  emulators = await startAwsEmulators();
  dynamo = new DynamoDBClient(emulators.clientConfig('dynamodb'));
}, 60_000);
afterAll(async () => {
  dynamo.destroy();
  await emulators.stop();
});

describeKeyedLimiterSuite('DynamoTable (dynalite)', async () => {
  const tableName = `limiter-${(serial += 1)}`;
  await emulators.createTable(tableName);
  return {
    table: new DynamoTable({ client: dynamo, tableName }),
    dump: async () => {
      const items: unknown[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await dynamo.send(
          new ScanCommand({ TableName: tableName, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start as never } : {}) }),
        );
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      return JSON.stringify(items);
    },
    cleanup: async () => {
      await dynamo.send(new DeleteTableCommand({ TableName: tableName }));
    },
  };
});
