import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoTable } from '@refinery/aws-adapters';
import type { Table } from '@refinery/ports';
import { type AwsEmulators, createTestPorts, startAwsEmulators } from '@refinery/test-support';
import { ProviderHttpClient } from '../src';

// Several clients of one provider (as in several matcher containers) sharing one table: the requests the provider
// receives from all of them together stay within requestsPerSecond over any window. A real HTTP server on 127.0.0.1
// records when each request arrives.

const RATE = 20;
const CLIENTS = 4;
const REQUESTS_PER_CLIENT = 8;

interface FakeProvider {
  readonly origin: string;
  readonly arrivals: number[];
  close(): Promise<void>;
}

async function startFakeProvider(): Promise<FakeProvider> {
  const arrivals: number[] = [];
  const server: Server = createServer((request, response) => {
    arrivals.push(performance.now());
    request.resume();
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    arrivals,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

// The most requests that arrived within any window of `windowMs`.
function busiestWindow(arrivals: readonly number[], windowMs: number): number {
  const times = [...arrivals].sort((a, b) => a - b);
  let most = 0;
  for (let start = 0, end = 0; end < times.length; end += 1) {
    while ((times[end] as number) - (times[start] as number) >= windowMs) start += 1;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

async function fireFromSeveralClients(table: Table | undefined, provider: FakeProvider): Promise<void> {
  const clients = Array.from(
    { length: CLIENTS },
    () =>
      new ProviderHttpClient({
        provider: 'rate-shared-provider',
        // Each client alone would allow the whole rate, as every container did before the rate was shared.
        settings: { requestsPerSecond: RATE, maxConcurrent: 4, maxAttempts: 1 },
        ...(table === undefined ? {} : { rateTable: table }),
      }),
  );
  await Promise.all(
    clients.flatMap((client) =>
      Array.from({ length: REQUESTS_PER_CLIENT }, (_, index) => client.request({ url: `${provider.origin}/people?n=${index}` })),
    ),
  );
}

function expectWithinRate(arrivals: readonly number[]): void {
  expect(arrivals).toHaveLength(CLIENTS * REQUESTS_PER_CLIENT);
  // Send times are reserved 1000 / RATE ms apart. A request goes out late when its reservation's write or the
  // connection took a few ms, which brings it closer to the next one: a window may hold one more than strict spacing
  // allows (floor(window × rate) + 1, both ends counted). On a loaded machine (npm test runs the emulator suites beside
  // this one) two late requests can land in the shortest window: one more there (seen once: 8 in 250 ms). An unshared
  // limit still fails every window by far (the test above: more than RATE + 2 in one second).
  for (const windowMs of [250, 500, 1000]) {
    const jitter = windowMs === 250 ? 3 : 2;
    expect(busiestWindow(arrivals, windowMs)).toBeLessThanOrEqual(Math.floor((windowMs * RATE) / 1000) + jitter);
  }
}

describe('shared provider rate limit', () => {
  let provider: FakeProvider;
  beforeEach(async () => {
    provider = await startFakeProvider();
  });
  afterEach(async () => {
    await provider.close();
  });

  it('without a shared table, clients together exceed the rate (what the shared table prevents)', async () => {
    await fireFromSeveralClients(undefined, provider);
    expect(busiestWindow(provider.arrivals, 1000)).toBeGreaterThan(RATE + 2);
  });

  it('clients sharing a SQLite table never exceed requestsPerSecond together', async () => {
    const ports = createTestPorts();
    try {
      await fireFromSeveralClients(ports.table('providerLimits'), provider);
      expectWithinRate(provider.arrivals);
    } finally {
      await ports.cleanup();
    }
  }, 30_000);

  describe('on DynamoDB (dynalite)', () => {
    let emulators: AwsEmulators;
    let dynamo: DynamoDBClient;
    beforeAll(async () => {
      emulators = await startAwsEmulators();
      dynamo = new DynamoDBClient(emulators.clientConfig('dynamodb'));
    }, 60_000);
    afterAll(async () => {
      dynamo.destroy();
      await emulators.stop();
    });

    it('clients sharing a DynamoDB table never exceed requestsPerSecond together', async () => {
      await emulators.createTable('provider-limits');
      try {
        await fireFromSeveralClients(new DynamoTable({ client: dynamo, tableName: 'provider-limits' }), provider);
        expectWithinRate(provider.arrivals);
      } finally {
        await dynamo.send(new DeleteTableCommand({ TableName: 'provider-limits' }));
      }
    }, 30_000);
  });
});
