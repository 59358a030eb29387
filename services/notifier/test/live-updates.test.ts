import { createEvent, type JobViewData, jobProgressedV1 } from '@refinery/events';
import { type Item, type ItemKey, noMetrics, type Table } from '@refinery/ports';
import { describeFailedMessage, SecretSealer, TokenRegistry } from '@refinery/runtime';
import { createTestPorts, eventBridgeBody, socketEvent, sqsEvent, type TestPorts, testContext } from '@refinery/test-support';
import { JobViewStore } from '../src/domain/job-views';
import { CONNECTION_LIFETIME_SECONDS } from '../src/domain/socket-connections';
import { DEFAULT_NOTIFIER_CONFIG, notifier as declaration, notifierHandlers } from '../src/service';
import { ACME_TOKEN, createNotifier, FakeSockets, GLOBEX_TOKEN } from './helpers';

// The WebSocket API of live job updates ($connect / $default / $disconnect) and the job.progressed.v1 pushes, with
// the real local table and SocketConnections in memory.

let ports: TestPorts;
let sockets: FakeSockets;
let notifier: ReturnType<typeof createNotifier>;

beforeEach(() => {
  ports = createTestPorts();
  sockets = new FakeSockets();
  notifier = createNotifier(ports, {}, sockets);
});

afterEach(() => ports.cleanup());

/** A table's methods, bound, to wrap some of them. */
function methodsOf(table: Table): Table {
  return {
    get: (key: ItemKey) => table.get(key),
    put: (item, options) => table.put(item, options),
    update: (key, update, options) => table.update(key, update, options),
    delete: (key, options) => table.delete(key, options),
    batchPut: (items) => table.batchPut(items),
    transact: (writes) => table.transact(writes),
    query: (pk, options) => table.query(pk, options),
  };
}

/** $connect as API Gateway hands it over: header names as the client wrote them. */
async function connect(connectionId: string, headers: Record<string, string>) {
  const result = await notifier.socket(socketEvent('CONNECT', connectionId, { headers: { Host: 'socket.test', ...headers } }), testContext());
  if (result.statusCode === 200) sockets.open(connectionId); // API Gateway opens it once $connect returned 200
  return result;
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const subprotocols = (...protocols: string[]) => ({ 'Sec-WebSocket-Protocol': protocols.join(', ') });

/** Sends a frame and returns what the connection was answered. */
async function send(connectionId: string, body: string) {
  const before = sockets.posted.get(connectionId)?.length ?? 0;
  const result = await notifier.socket(socketEvent('MESSAGE', connectionId, { body }), testContext());
  expect(result.statusCode).toBe(200);
  const answers = sockets.messagesTo(connectionId).slice(before);
  expect(answers).toHaveLength(1);
  return answers[0] as Record<string, unknown>;
}

function view(jobId: string, version: number, change: Partial<JobViewData> = {}): JobViewData {
  return {
    jobId,
    status: 'running',
    filename: 'contacts.csv',
    rows: { total: 100, done: version * 10, matched: version * 8, unmatched: version, invalid: version },
    byMethod: { exact: version * 6, fuzzy: version, nickname: version },
    chunks: { total: 10, done: version },
    createdAt: '2026-11-28T12:00:00.000Z',
    completedAt: null,
    error: null,
    version,
    ...change,
  };
}

/** job.progressed.v1 as ingest publishes it, delivered in one SQS batch. */
async function progressed(tenantId: string, ...jobs: JobViewData[]) {
  const bodies = jobs.map((job) =>
    eventBridgeBody(
      createEvent(jobProgressedV1, {
        service: 'ingest',
        metadata: { tenantId, jobId: job.jobId, correlationId: job.jobId, causationId: job.jobId },
        data: { job },
      }),
    ),
  );
  return notifier.progress(sqsEvent(bodies), testContext());
}

describe('notifier socket: $connect', () => {
  it('accepts the bearer token in the Authorization header, without choosing a subprotocol', async () => {
    const result = await connect('c1', bearer(ACME_TOKEN));

    expect(result).toEqual({ statusCode: 200 });
    expect(await send('c1', '{"action":"ping"}')).toEqual({ type: 'pong' });
  });

  it('accepts the token as the subprotocol bearer.TOKEN and answers with refinery.v1', async () => {
    const result = await connect('c1', subprotocols('refinery.v1', `bearer.${ACME_TOKEN}`));

    expect(result.statusCode).toBe(200);
    expect(result.headers).toEqual({ 'Sec-WebSocket-Protocol': 'refinery.v1' });
  });

  it.each([
    ['no token', {}],
    ['a wrong token in the header', bearer('not-a-token-0000')],
    ['a wrong token as subprotocol', subprotocols('refinery.v1', 'bearer.not-a-token-0000')],
    ['refinery.v1 without a token', subprotocols('refinery.v1')],
  ])('refuses the handshake with 401 for %s, and does not register the connection', async (_name, headers) => {
    const result = await connect('c1', headers);

    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body ?? '{}')).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    sockets.open('c1'); // even if it were open, nothing is pushed to it
    await progressed('acme', view('job_01A', 1));
    expect(sockets.attempts).toEqual([]);
  });

  it('refuses subprotocols that leave out refinery.v1 (400)', async () => {
    const result = await connect('c1', subprotocols(`bearer.${ACME_TOKEN}`, 'chat'));

    expect(result.statusCode).toBe(400);
    expect(result.headers).not.toHaveProperty('Sec-WebSocket-Protocol');
  });
});

describe('notifier socket: messages', () => {
  beforeEach(async () => {
    expect((await connect('acme-1', bearer(ACME_TOKEN))).statusCode).toBe(200);
    expect((await connect('globex-1', subprotocols('refinery.v1', `bearer.${GLOBEX_TOKEN}`))).statusCode).toBe(200);
  });

  it("answers sync with the tenant's jobs, newest first, and nothing of another tenant's", async () => {
    await progressed('acme', view('job_01A', 3), view('job_01C', 1));
    await progressed('globex', view('job_01B', 2));

    const acme = await send('acme-1', '{"action":"sync"}');
    const globex = await send('globex-1', '{"action":"sync"}');

    expect(acme).toEqual({ type: 'jobs', jobs: [view('job_01C', 1), view('job_01A', 3)] });
    expect(globex).toEqual({ type: 'jobs', jobs: [view('job_01B', 2)] });
  });

  it('answers sync with no jobs before any progress', async () => {
    expect(await send('acme-1', '{"action":"sync"}')).toEqual({ type: 'jobs', jobs: [] });
  });

  it("answers watch with the job's latest view, and not_found for another tenant's job or an unknown one", async () => {
    await progressed('acme', view('job_01A', 2));
    await progressed('globex', view('job_01B', 2));

    expect(await send('acme-1', '{"action":"watch","jobId":"job_01A"}')).toEqual({ type: 'job', job: view('job_01A', 2) });
    expect(await send('acme-1', '{"action":"watch","jobId":"job_01B"}')).toEqual({ type: 'error', code: 'not_found', message: 'no job job_01B' });
    expect(await send('globex-1', '{"action":"watch","jobId":"job_01A"}')).toEqual({ type: 'error', code: 'not_found', message: 'no job job_01A' });
    expect(await send('acme-1', '{"action":"watch","jobId":"job_01Z"}')).toMatchObject({ type: 'error', code: 'not_found' });
  });

  it.each([
    ['text that is not JSON', 'hello'],
    ['an unknown action', '{"action":"subscribe"}'],
    ['watch without a job id', '{"action":"watch"}'],
    ['no action', '{"jobId":"job_01A"}'],
  ])('answers bad_request for %s', async (_name, body) => {
    expect(await send('acme-1', body)).toEqual({ type: 'error', code: 'bad_request', message: expect.any(String) });
  });

  it('tells a connection it does not know of to connect again', async () => {
    sockets.open('stranger');
    expect(await send('stranger', '{"action":"sync"}')).toEqual({
      type: 'error',
      code: 'unauthorized',
      message: expect.stringContaining('connect again'),
    });
  });

  it('forgets a connection whose answer finds it gone', async () => {
    sockets.close('acme-1');
    await notifier.socket(socketEvent('MESSAGE', 'acme-1', { body: '{"action":"ping"}' }), testContext());

    sockets.attempts.length = 0;
    await progressed('acme', view('job_01A', 1));
    expect(sockets.attempts).toEqual([]);
  });
});

describe('notifier: job.progressed.v1 pushes', () => {
  beforeEach(async () => {
    for (const [id, token] of [
      ['acme-1', ACME_TOKEN],
      ['acme-2', ACME_TOKEN],
      ['globex-1', GLOBEX_TOKEN],
    ] as const) {
      expect((await connect(id, bearer(token))).statusCode).toBe(200);
    }
  });

  it("pushes each snapshot to every connection of the job's tenant and to no other", async () => {
    const result = await progressed('acme', view('job_01A', 1), view('job_01A', 2));

    expect(result.batchItemFailures).toEqual([]);
    for (const id of ['acme-1', 'acme-2']) {
      expect(sockets.messagesTo(id)).toEqual([
        { type: 'job', job: view('job_01A', 1) },
        { type: 'job', job: view('job_01A', 2) },
      ]);
    }
    expect(sockets.attempts).not.toContain('globex-1');
  });

  it('stops pushing to a connection after $disconnect', async () => {
    const result = await notifier.socket(socketEvent('DISCONNECT', 'acme-1'), testContext());
    expect(result.statusCode).toBe(200);

    await progressed('acme', view('job_01A', 1));

    expect(sockets.attempts).toEqual(['acme-2']);
    // A second $disconnect (API Gateway may repeat it) changes nothing.
    expect((await notifier.socket(socketEvent('DISCONNECT', 'acme-1'), testContext())).statusCode).toBe(200);
  });

  it('forgets a connection that is gone (410) and never posts to it again', async () => {
    sockets.close('acme-1');

    await progressed('acme', view('job_01A', 1));
    await progressed('acme', view('job_01A', 2));

    expect(sockets.attempts.filter((id) => id === 'acme-1')).toHaveLength(1);
    expect(sockets.messagesTo('acme-2')).toHaveLength(2);
  });

  it('forgets a connection whose $disconnect never came, once API Gateway would have closed it (2 h), and marks it for TTL deletion', async () => {
    const stored = await ports.table('notifier-subscriptions').get({ pk: 'connection#acme-1', sk: 'connection' });
    expect(stored?.expiresAt).toBe(Math.floor(Date.parse(String(stored?.connectedAt)) / 1000) + CONNECTION_LIFETIME_SECONDS);
    notifier.clock.advance(CONNECTION_LIFETIME_SECONDS * 1000 - 60_000);
    await progressed('acme', view('job_01A', 1));
    expect(sockets.attempts.sort()).toEqual(['acme-1', 'acme-2']);

    notifier.clock.advance(120_000); // past the lifetime: the items may still be there (TTL deletion lags), but not used
    expect((await connect('acme-3', bearer(ACME_TOKEN))).statusCode).toBe(200);
    await progressed('acme', view('job_01A', 2));
    expect(sockets.attempts.slice(2)).toEqual(['acme-3']); // acme-1 and acme-2 connected 2 h 11 min ago
    expect(await send('acme-1', JSON.stringify({ action: 'ping' }))).toMatchObject({ type: 'error', code: 'unauthorized' });
  });

  it('keeps the newest view: an older snapshot arriving later is pushed but never stored over a newer one', async () => {
    await progressed('acme', view('job_01A', 5, { status: 'completed', completedAt: '2026-11-28T12:01:00.000Z' }));
    await progressed('acme', view('job_01A', 3));
    await progressed('acme', view('job_01A', 5, { filename: 'same-version.csv' }));

    expect(sockets.messagesTo('acme-2').map((message) => (message.job as JobViewData).version)).toEqual([5, 3, 5]);
    const stored = await send('acme-1', '{"action":"watch","jobId":"job_01A"}');
    expect(stored).toEqual({ type: 'job', job: view('job_01A', 5, { status: 'completed', completedAt: '2026-11-28T12:01:00.000Z' }) });
  });

  it('keeps the newest view when snapshots of one job are handled at the same time', async () => {
    await Promise.all([4, 9, 2, 7].map((version) => progressed('acme', view('job_01A', version))));

    expect(await send('acme-1', '{"action":"watch","jobId":"job_01A"}')).toEqual({ type: 'job', job: view('job_01A', 9) });
  });

  it('never reports a failure when pushing fails: live updates are best effort', async () => {
    sockets.failWith = new Error('LimitExceededException');

    const result = await progressed('acme', view('job_01A', 1));

    expect(result.batchItemFailures).toEqual([]);
    expect(ports.publisher.entries).toEqual([]);
    sockets.failWith = undefined;
    expect(await send('acme-1', '{"action":"watch","jobId":"job_01A"}')).toEqual({ type: 'job', job: view('job_01A', 1) });
  });

  it('retries a snapshot the table could not keep, without reporting a failed stage even on its last delivery', async () => {
    const table = ports.table('notifier-subscriptions');
    const broken = notifierHandlers({
      publisher: ports.publisher,
      clock: ports.clock,
      ids: ports.ids,
      logger: ports.logger,
      metrics: noMetrics,
      config: DEFAULT_NOTIFIER_CONFIG,
      subscriptions: { ...methodsOf(table), get: async () => Promise.reject(new Error('table unavailable')) },
      tokens: new TokenRegistry(new Map([[ACME_TOKEN, 'acme']])),
      secrets: new SecretSealer(Buffer.alloc(32, 7)),
      sockets,
    });
    const maxReceiveCount = declaration.subscriptions.progress.queue.maxReceiveCount;
    const body = eventBridgeBody(
      createEvent(jobProgressedV1, {
        service: 'ingest',
        metadata: { tenantId: 'acme', jobId: 'job_01A', correlationId: 'c', causationId: 'c' },
        data: { job: view('job_01A', 1) },
      }),
    );

    const result = await broken.subscriptions.progress.handler(sqsEvent([body], { receiveCount: maxReceiveCount }), testContext());

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(ports.publisher.entries).toEqual([]);
    // Nor does the dead-letter report, when the message reaches the dead-letter queue.
    expect(describeFailedMessage(declaration.subscriptions.progress, body)).toBeUndefined();
  });
});

describe('JobViewStore', () => {
  /** A table where another writer stores version 9 of the job right before our first write. */
  function racingTable(inner: Table): Table {
    let raced = false;
    return {
      ...methodsOf(inner),
      put: async (item: Item, options) => {
        if (!raced) {
          raced = true;
          await inner.put({ ...item, version: 9, view: view('job_01A', 9) as never });
        }
        return inner.put(item, options);
      },
    };
  }

  it('compares and swaps: a newer view written between its read and its write wins', async () => {
    const table = ports.table('views');
    const store = new JobViewStore(racingTable(table));
    await new JobViewStore(table).keep('acme', view('job_01A', 2));

    expect(await store.keep('acme', view('job_01A', 4))).toBe('stale');
    expect(await store.get('acme', 'job_01A')).toEqual(view('job_01A', 9));
  });

  it('compares and swaps on a job it has not stored yet', async () => {
    const store = new JobViewStore(racingTable(ports.table('views')));

    expect(await store.keep('acme', view('job_01A', 4))).toBe('stale');
    expect(await store.get('acme', 'job_01A')).toEqual(view('job_01A', 9));
    expect(await store.keep('acme', view('job_01A', 12))).toBe('stored');
    expect((await store.get('acme', 'job_01A'))?.version).toBe(12);
  });
});
