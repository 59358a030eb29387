import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ALLOW_PRIVATE_DESTINATIONS_ENV } from '@refinery/outbound';
import { createTestPorts, sqsEvent, type TestPorts, testContext } from '@refinery/test-support';
import type { DeliveryAttempt } from '../src/domain/subscriptions';
import { ACME_TOKEN, body, createNotifier } from './helpers';

// Issue 14: a webhook URL must not reach internal addresses, and the delivery log must not work as a port scanner.
// Subscriptions to 127.0.0.1 are made while private destinations are allowed (as before a host name's DNS answer
// changes, or on a stage where they once were); deliveries are then made without the allowance, as on AWS.

let ports: TestPorts;
let server: Server;
let connections = 0;
const saved = process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];

beforeEach(async () => {
  ports = createTestPorts();
  connections = 0;
  server = createServer((_request, response) => response.writeHead(204).end());
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterEach(async () => {
  if (saved === undefined) delete process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
  else process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = saved;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  ports.cleanup();
});

type Notifier = ReturnType<typeof createNotifier>;

async function subscribe(notifier: Notifier, url: string): Promise<string> {
  process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = '1';
  const response = await notifier.api({ routeKey: 'POST /subscriptions', token: ACME_TOKEN, body: JSON.stringify({ url }) });
  expect(response.statusCode).toBe(201);
  return (response.json as { id: string }).id;
}

async function attempts(notifier: Notifier, id: string): Promise<DeliveryAttempt[]> {
  const response = await notifier.api({ routeKey: 'GET /subscriptions/{id}/deliveries', pathParameters: { id }, token: ACME_TOKEN });
  return response.json!.deliveries as DeliveryAttempt[];
}

/** A port on 127.0.0.1 where nothing listens (one that was just free). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('notifier delivery to a destination that is not public', () => {
  it('is recorded as a failed attempt with the reason, without any connection', async () => {
    const notifier = createNotifier(ports, { allowHttp: true });
    const id = await subscribe(notifier, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);

    delete process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
    const response = await notifier.jobs(sqsEvent([body('job-completed')]), testContext());

    // Not delivered: the queue keeps the message for later.
    expect(response.batchItemFailures).toHaveLength(1);
    expect(connections).toBe(0);
    const [attempt] = await attempts(notifier, id);
    expect(attempt).toMatchObject({
      ok: false,
      statusCode: null,
      error: `destination refused: 127.0.0.1 is a loopback address; only public addresses may be reached (set ${ALLOW_PRIVATE_DESTINATIONS_ENV}=1 to allow it for local testing, never on AWS)`,
    });
  });

  it('records the same thing for an open and a closed port: the delivery log is no port scanner', async () => {
    const notifier = createNotifier(ports, { allowHttp: true });
    const open = await subscribe(notifier, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const closed = await subscribe(notifier, `http://127.0.0.1:${await closedPort()}/`);

    delete process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
    await notifier.jobs(sqsEvent([body('job-completed')]), testContext());

    const [toOpen] = await attempts(notifier, open);
    const [toClosed] = await attempts(notifier, closed);
    expect(toOpen?.error).toMatch(/^destination refused: 127\.0\.0\.1 is a loopback address/);
    expect(toClosed?.error).toBe(toOpen?.error);
    expect(toClosed?.statusCode).toBe(toOpen?.statusCode);
    expect(connections).toBe(0);
  });

  it(`delivers to the same receiver while ${ALLOW_PRIVATE_DESTINATIONS_ENV}=1 (local testing)`, async () => {
    const notifier = createNotifier(ports, { allowHttp: true });
    const id = await subscribe(notifier, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);

    const response = await notifier.jobs(sqsEvent([body('job-completed')]), testContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(connections).toBe(1);
    expect(await attempts(notifier, id)).toMatchObject([{ ok: true, statusCode: 204, error: null }]);
  });

  it('never delivers to the instance metadata endpoint, even while private destinations are allowed', async () => {
    const notifier = createNotifier(ports, { allowHttp: true });
    process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = '1';
    const refused = await notifier.api({
      routeKey: 'POST /subscriptions',
      token: ACME_TOKEN,
      body: JSON.stringify({ url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' }),
    });
    expect(refused.statusCode).toBe(400);
    expect((refused.json!.error as { message: string }).message).toContain(
      'destination refused: 169.254.169.254 is a cloud instance-metadata address',
    );
  });
});
