import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoTable } from '@refinery/aws-adapters';
import { chunkPlannedV1 } from '@refinery/events';
import { composeService, createEventSubscriptionHandler, defineService, implementService, type SqsBatchHandler, setting } from '@refinery/runtime';
import { testContext } from '@refinery/test-support';
import { z } from 'zod';
import { awsClients, awsPlatform, lambdaHandlers } from '../src';

// The AWS platform reads what the generated configuration sets: the bus, the log level, `<NAME>_BUCKET` and
// `<NAME>_TABLE` of the service's own resources, one variable per declared setting. lambdaHandlers exports one
// function per subscription, named after it.

const size = { queue: { visibilityTimeoutSeconds: 360, maxReceiveCount: 3, batchSize: 1 }, function: { timeoutSeconds: 60, memorySizeMb: 512 } };
const worker = defineService({
  name: 'worker',
  description: 'd',
  buckets: { chunks: { description: 'c' } },
  tables: { ledger: { description: 'l' } },
  settings: { chunkWindow: setting(z.coerce.number().int().min(1), { description: 'w', default: 8 }) },
  subscriptions: {
    chunks: { description: 'c', events: [chunkPlannedV1], ...size },
    again: { description: 'a', events: [chunkPlannedV1], ...size },
  },
});

const seen: unknown[] = [];
const workerService = implementService(worker, (context) => {
  seen.push({ buckets: context.buckets, table: context.tables.ledger, settings: context.settings });
  const binding = (subscription: typeof worker.subscriptions.chunks | typeof worker.subscriptions.again) =>
    createEventSubscriptionHandler({ subscription, publisher: context.publisher, logger: context.logger, handle: async () => undefined });
  return { subscriptions: { chunks: binding(worker.subscriptions.chunks), again: binding(worker.subscriptions.again) } };
});

const clients = awsClients({ dynamodb: new DynamoDBClient({ region: 'us-east-1' }) });

describe('awsPlatform', () => {
  beforeEach(() => (seen.length = 0));

  it("names a service's own resources and settings from the function's environment", async () => {
    await composeService(
      workerService,
      awsPlatform({ EVENT_BUS_NAME: 'bus', CHUNKS_BUCKET: 'my-chunks', LEDGER_TABLE: 'my-ledger', CHUNK_WINDOW: '3' }, clients),
    );
    expect(seen).toEqual([{ buckets: { chunks: 'my-chunks' }, table: expect.any(DynamoTable), settings: { chunkWindow: 3 } }]);
  });

  it('names every variable that is missing or wrong, at once', async () => {
    await expect(composeService(workerService, awsPlatform({ CHUNKS_BUCKET: 'x', LOG_LEVEL: 'chatty', CHUNK_WINDOW: '0' }, clients))).rejects.toThrow(
      /^invalid configuration from environment: EVENT_BUS_NAME: .*; LOG_LEVEL: .*; CHUNKS_BUCKET: the name of the chunks bucket; LEDGER_TABLE: .*; CHUNK_WINDOW: /,
    );
    expect(seen).toEqual([]);
  });
});

describe('lambdaHandlers', () => {
  it('exports one handler per subscription, composing the service once, at the first invocation', async () => {
    let builds = 0;
    const handlers = lambdaHandlers(workerService, {
      clients,
      build: () => {
        builds += 1;
        return composeService(workerService, awsPlatform({ EVENT_BUS_NAME: 'bus', CHUNKS_BUCKET: 'c-bucket', LEDGER_TABLE: 'l-table' }, clients));
      },
    });
    expect(Object.keys(handlers)).toEqual(['chunks', 'again']);
    expect(builds).toBe(0);
    const chunks: SqsBatchHandler = handlers.chunks;
    await expect(chunks({ Records: [] }, testContext())).resolves.toMatchObject({ batchItemFailures: [] });
    await expect(handlers.again({ Records: [] }, testContext())).resolves.toMatchObject({ batchItemFailures: [] });
    expect(builds).toBe(1);
  });
});
