import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { createTestPorts, sqsEvent, type TestPorts, testContext } from '@refinery/test-support';
import type { NotifierConfig } from '../src/config';
import type { DeliveryAttempt } from '../src/domain/subscriptions';
import { ACME_TOKEN, body, createNotifier, GLOBEX_TOKEN, WebhookReceiver } from './helpers';

// A slow or dead receiver costs only its own subscriber: short timeouts, every message of a batch and every
// subscription of a message delivered at once, a circuit and a concurrency limit per subscription kept in the table.

// The receivers here are on loopback: let them through the outbound address check.
process.env.REFINERY_ALLOW_PRIVATE_DESTINATIONS = '1';

/** A real HTTP server on 127.0.0.1 that accepts every request and never answers it. */
class HangingReceiver {
  /** Requests received so far, and the most that were open at once. */
  received = 0;
  mostAtOnce = 0;
  private open = 0;
  private readonly server: Server = createHttpServer((request: IncomingMessage) => {
    this.received += 1;
    this.open += 1;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.open);
    request.socket.once('close', () => {
      this.open -= 1;
    });
    request.resume();
  });

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
  }

  url(path: string): string {
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('the hanging receiver is not listening');
    return `http://127.0.0.1:${address.port}${path}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A TCP server on 127.0.0.1 that accepts connections and never says a word: a TLS handshake with it never ends. */
class SilentTcpServer {
  private readonly sockets = new Set<Socket>();
  private readonly server: TcpServer = createTcpServer((socket) => {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  });

  async start(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let ports: TestPorts;
let receiver: WebhookReceiver;
let hanging: HangingReceiver;

beforeEach(async () => {
  ports = createTestPorts();
  receiver = new WebhookReceiver();
  hanging = new HangingReceiver();
  await Promise.all([receiver.start(), hanging.start()]);
});

afterEach(async () => {
  await Promise.all([receiver.stop(), hanging.stop()]);
  ports.cleanup();
});

type Notifier = ReturnType<typeof createNotifier>;

async function subscribe(notifier: Notifier, url: string, token = ACME_TOKEN): Promise<{ id: string }> {
  const response = await notifier.api({ routeKey: 'POST /subscriptions', token, body: JSON.stringify({ url }) });
  expect(response.statusCode).toBe(201);
  return response.json as { id: string };
}

async function attempts(notifier: Notifier, id: string, token = ACME_TOKEN): Promise<DeliveryAttempt[]> {
  const response = await notifier.api({ routeKey: 'GET /subscriptions/{id}/deliveries', pathParameters: { id }, token });
  expect(response.statusCode).toBe(200);
  return response.json!.deliveries as DeliveryAttempt[];
}

/** A job.completed.v1 of the tenant's, each a different event. */
function completed(tenantId = 'acme'): string {
  return body('job-completed', (event) => {
    event.detail.metadata.tenantId = tenantId;
    event.detail.metadata.eventId = randomUUID();
  });
}

function notifierWith(config: Partial<NotifierConfig>): Notifier {
  return createNotifier(ports, { allowHttp: true, ...config });
}

describe('notifier isolation: a slow or dead webhook receiver costs only its own subscriber', () => {
  it('gives up on a receiver that accepts and never answers after the response timeout, and records why', async () => {
    const notifier = notifierWith({ deliveryTimeoutMs: 400 });
    const subscription = await subscribe(notifier, hanging.url('/hang'));

    const began = Date.now();
    const response = await notifier.jobs(sqsEvent([completed()]), testContext());

    expect(Date.now() - began).toBeLessThan(1_500);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(hanging.received).toBe(1);
    expect(await attempts(notifier, subscription.id)).toEqual([
      expect.objectContaining({ ok: false, statusCode: null, error: 'timed out after 400 ms' }),
    ]);
  });

  it('gives up on a connection that is not made within the connect timeout (a TLS handshake never answered)', async () => {
    const silent = new SilentTcpServer();
    const port = await silent.start();
    try {
      const notifier = notifierWith({ connectTimeoutMs: 200, deliveryTimeoutMs: 10_000 });
      const subscription = await subscribe(notifier, `https://127.0.0.1:${port}/hooks`);

      const began = Date.now();
      await notifier.jobs(sqsEvent([completed()]), testContext());

      // undici checks connect timeouts on a coarse timer (up to a second late): still far from the 10 s timeout.
      expect(Date.now() - began).toBeLessThan(3_000);
      expect(await attempts(notifier, subscription.id)).toEqual([
        expect.objectContaining({ ok: false, statusCode: null, error: 'could not connect within 200 ms' }),
      ]);
    } finally {
      await silent.stop();
    }
  });

  it("delivers another tenant's message of the same batch at once while a receiver hangs, and fails only the hanging one", async () => {
    const notifier = notifierWith({ deliveryTimeoutMs: 3_000 });
    await subscribe(notifier, hanging.url('/acme'));
    await subscribe(notifier, receiver.url('/globex'), GLOBEX_TOKEN);
    const arrived = new Promise<number>((resolve) => {
      const poll = setInterval(() => {
        if (receiver.to('/globex').length > 0) {
          clearInterval(poll);
          resolve(Date.now());
        }
      }, 5);
    });

    const began = Date.now();
    const response = await notifier.jobs(sqsEvent([completed('acme'), completed('globex')]), testContext());

    // One after another, globex's webhook would have waited for acme's 3 s timeout.
    expect((await arrived) - began).toBeLessThan(1_000);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
  });

  it("delivers a tenant's other subscriptions at once while one of them hangs", async () => {
    const notifier = notifierWith({ deliveryTimeoutMs: 3_000 });
    await subscribe(notifier, hanging.url('/acme-hangs'));
    await subscribe(notifier, receiver.url('/acme-answers'));
    const began = Date.now();
    const handled = notifier.jobs(sqsEvent([completed()]), testContext());
    for (let waited = 0; receiver.to('/acme-answers').length === 0 && waited < 2_000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(Date.now() - began).toBeLessThan(1_000);
    expect((await handled).batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
  });

  describe('a circuit per subscription, in the table', () => {
    const circuit = { circuitFailures: 3, circuitCooldownMs: 60_000 };

    it('opens after N consecutive failures: deliveries are skipped without a request, recorded, and retried after the cool-down', async () => {
      const notifier = notifierWith(circuit);
      const subscription = await subscribe(notifier, receiver.url('/down'));
      receiver.respond('/down', [500]);
      for (let i = 0; i < 3; i += 1) await notifier.jobs(sqsEvent([completed()]), testContext());
      expect(receiver.to('/down')).toHaveLength(3);

      const skipped = await notifier.jobs(sqsEvent([completed()]), testContext());

      expect(receiver.to('/down')).toHaveLength(3);
      expect(skipped.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
      // Back when the circuit closes, not after the first backoff (10 s).
      expect(skipped.retries[0]?.delaySeconds).toBeGreaterThanOrEqual(59);
      expect(skipped.retries[0]?.delaySeconds).toBeLessThanOrEqual(61);
      const [latest] = await attempts(notifier, subscription.id);
      expect(latest).toMatchObject({ ok: false, statusCode: null, durationMs: 0 });
      expect(latest?.error).toMatch(
        /^skipped: endpoint circuit open until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \(3 consecutive failures, the last: HTTP 500\)$/,
      );
    });

    it('is shared by every invocation: another notifier on the same table skips too', async () => {
      const first = notifierWith(circuit);
      await subscribe(first, receiver.url('/down'));
      receiver.respond('/down', [500]);
      for (let i = 0; i < 3; i += 1) await first.jobs(sqsEvent([completed()]), testContext());

      const second = notifierWith(circuit);
      const response = await second.jobs(sqsEvent([completed()]), testContext());

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
      expect(receiver.to('/down')).toHaveLength(3);
    });

    it('tries again after the cool-down: a failure opens it again at once, a success closes it', async () => {
      const notifier = notifierWith(circuit);
      await subscribe(notifier, receiver.url('/flaky'));
      receiver.respond('/flaky', [500, 500, 500, 500, 200, 500]);
      for (let i = 0; i < 3; i += 1) await notifier.jobs(sqsEvent([completed()]), testContext());

      notifier.clock.advance(61_000);
      await notifier.jobs(sqsEvent([completed()]), testContext());
      expect(receiver.to('/flaky')).toHaveLength(4);
      // The trial failed: open again for another cool-down.
      await notifier.jobs(sqsEvent([completed()]), testContext());
      expect(receiver.to('/flaky')).toHaveLength(4);

      notifier.clock.advance(61_000);
      expect((await notifier.jobs(sqsEvent([completed()]), testContext())).batchItemFailures).toEqual([]);
      // Closed: the failures count again from none, so one more failure does not open it.
      await notifier.jobs(sqsEvent([completed()]), testContext());
      await notifier.jobs(sqsEvent([completed()]), testContext());
      expect(receiver.to('/flaky')).toHaveLength(7);
    });

    it("is per subscription: one subscription's open circuit skips none of the tenant's other subscriptions", async () => {
      const notifier = notifierWith(circuit);
      await subscribe(notifier, receiver.url('/down'));
      await subscribe(notifier, receiver.url('/up'));
      receiver.respond('/down', [500]);
      for (let i = 0; i < 4; i += 1) await notifier.jobs(sqsEvent([completed()]), testContext());
      expect(receiver.to('/down')).toHaveLength(3);
      expect(receiver.to('/up')).toHaveLength(4);
    });
  });

  describe('deliveries in flight per subscription', () => {
    it('keeps at most K in flight to one subscription across invocations; the rest are skipped after the slot wait, for the queue to retry', async () => {
      const config = { deliveryTimeoutMs: 1_500, slotWaitMs: 300, concurrencyPerSubscription: 1 };
      const one = notifierWith(config);
      const other = notifierWith(config);
      const subscription = await subscribe(one, hanging.url('/hang'));

      const [first, second] = await Promise.all([
        one.jobs(sqsEvent([completed(), completed()]), testContext()),
        other.jobs(sqsEvent([completed()]), testContext()),
      ]);

      expect(hanging.mostAtOnce).toBe(1);
      expect(hanging.received).toBe(1);
      expect([...first.batchItemFailures, ...second.batchItemFailures]).toHaveLength(3);
      const recorded = await attempts(one, subscription.id);
      expect(recorded.map((attempt) => attempt.error).sort()).toEqual([
        'skipped: 1 delivery to this subscription already in flight (its limit), none finished within 300 ms',
        'skipped: 1 delivery to this subscription already in flight (its limit), none finished within 300 ms',
        'timed out after 1500 ms',
      ]);
    });

    it('lets K deliveries go at once when K is higher', async () => {
      const notifier = notifierWith({ deliveryTimeoutMs: 1_000, slotWaitMs: 300, concurrencyPerSubscription: 2 });
      await subscribe(notifier, hanging.url('/hang'));

      await notifier.jobs(sqsEvent([completed(), completed(), completed()]), testContext());

      expect(hanging.mostAtOnce).toBe(2);
    });

    it('queues a burst to a receiver that answers: each waits its turn for the slot and is delivered', async () => {
      const notifier = notifierWith({ concurrencyPerSubscription: 1 });
      await subscribe(notifier, receiver.url('/quick'));

      const response = await notifier.jobs(sqsEvent([completed(), completed(), completed(), completed(), completed()]), testContext());

      expect(response.batchItemFailures).toEqual([]);
      expect(receiver.to('/quick')).toHaveLength(5);
    });
  });
});
