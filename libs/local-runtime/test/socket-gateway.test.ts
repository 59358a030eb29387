import { once } from 'node:events';
import { defineService, type RunnableService, type WebSocketEvent, type WebSocketHandler } from '@refinery/runtime';
import WebSocket from 'ws';
import { LocalHttpGateway, LocalRuntime } from '../src';
import { tempDir } from './helpers';

// The local WebSocket API at /socket and its Management API at /@connections/{id} (on its own loopback listener, never
// on the API's port), with a real `ws` client.

const chat = defineService({
  name: 'chat',
  description: 'a service with a WebSocket API',
  subscriptions: {},
  websocket: { description: 'chat', routes: ['$connect', '$disconnect', '$default', 'shout'], function: { timeoutSeconds: 5, memorySizeMb: 256 } },
});

const TOKEN = 'secret-token-1';

let dir: ReturnType<typeof tempDir>;
let runtime: LocalRuntime;
let gateway: LocalHttpGateway;
let url: string;
let events: WebSocketEvent[];
/** What posting to a connection answered while its own $connect ran. */
let postedDuringConnect: string[];
let clients: WebSocket[];

/** Accepts `Authorization: Bearer TOKEN` or the subprotocol bearer.TOKEN (answering `chat.v1`); echoes messages. */
const handler: WebSocketHandler = async (event) => {
  events.push(event);
  const { eventType, connectionId, routeKey } = event.requestContext;
  if (eventType === 'CONNECT') {
    postedDuringConnect.push(await runtime.sockets.post(connectionId, 'too early'));
    const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
    const protocols = (headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const ok = headers.authorization === `Bearer ${TOKEN}` || protocols.includes(`bearer.${TOKEN}`);
    if (!ok) return { statusCode: 401, body: '{"error":{"code":"unauthorized"}}' };
    return protocols.includes('chat.v1') ? { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'chat.v1' } } : { statusCode: 200 };
  }
  if (eventType === 'MESSAGE') {
    if (event.body === 'crash') throw new Error('handler crashed');
    await runtime.sockets.post(connectionId, JSON.stringify({ routeKey, body: event.body }));
    // Not sent: there are no route responses.
    return { statusCode: 200, body: 'ignored' };
  }
  return { statusCode: 200 };
};

const service: RunnableService = { declaration: chat, subscriptions: {}, schedules: {}, websocket: handler };

beforeEach(async () => {
  dir = tempDir();
  events = [];
  postedDuringConnect = [];
  clients = [];
  runtime = await LocalRuntime.open({ dataDir: dir.path });
  runtime.register(service);
  gateway = new LocalHttpGateway(runtime);
  url = await gateway.listen(0);
});

afterEach(async () => {
  for (const client of clients) client.terminate();
  await gateway.close();
  await runtime.close();
  dir.cleanup();
});

const socketUrl = (query = '') => `${url.replace(/^http/, 'ws')}/socket${query}`;

/** A connected client; fails with the status when the handshake is refused. */
async function open(options: { protocols?: string[]; headers?: Record<string, string>; query?: string } = {}): Promise<WebSocket> {
  const client = new WebSocket(socketUrl(options.query), options.protocols ?? [], { headers: options.headers ?? {} });
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    client.once('open', () => resolve());
    client.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    client.once('error', reject);
  });
  client.on('error', () => undefined);
  return client;
}

/** The handshake's refusal: status and body. */
async function refused(
  options: { protocols?: string[]; headers?: Record<string, string>; path?: string } = {},
): Promise<{ status: number; body: string }> {
  const client = new WebSocket(`${url.replace(/^http/, 'ws')}${options.path ?? '/socket'}`, options.protocols ?? [], {
    headers: options.headers ?? {},
  });
  clients.push(client);
  return new Promise((resolve, reject) => {
    client.once('open', () => reject(new Error('the handshake was accepted')));
    client.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    client.on('error', () => undefined);
  });
}

function nextMessage(client: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) => client.once('message', (data) => resolve(JSON.parse(String(data)) as Record<string, unknown>)));
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const ofType = (type: string) => events.filter((event) => event.requestContext.eventType === type);

describe('LocalHttpGateway: WebSocket API at /socket', () => {
  it('refuses the handshake with the status $connect answered, and never opens the connection', async () => {
    const { status, body } = await refused();

    expect(status).toBe(401);
    expect(JSON.parse(body)).toEqual({ error: { code: 'unauthorized' } });
    expect(ofType('CONNECT')).toHaveLength(1);
    expect(runtime.sockets.size).toBe(0);
    expect(ofType('DISCONNECT')).toEqual([]);
  });

  it('gives $connect the headers as written, the query, and an API Gateway request context', async () => {
    await open({ headers: { Authorization: `Bearer ${TOKEN}` }, query: '?client=test' });

    const [connect] = ofType('CONNECT') as [WebSocketEvent];
    expect(connect.headers).toMatchObject({ Authorization: `Bearer ${TOKEN}`, Host: expect.any(String), 'Sec-WebSocket-Key': expect.any(String) });
    expect(connect.multiValueHeaders).toMatchObject({ Authorization: [`Bearer ${TOKEN}`] });
    expect(connect.queryStringParameters).toEqual({ client: 'test' });
    expect(connect.requestContext).toMatchObject({
      routeKey: '$connect',
      eventType: 'CONNECT',
      connectionId: expect.stringMatching(/^[A-Za-z0-9+/]{14}==$/),
      messageDirection: 'IN',
      identity: { sourceIp: expect.any(String) },
    });
    expect(runtime.sockets.size).toBe(1);
  });

  it('answers with the subprotocol $connect chose, and with none when it chose none', async () => {
    const browser = await open({ protocols: ['chat.v1', `bearer.${TOKEN}`] });
    const other = await open({ headers: { Authorization: `Bearer ${TOKEN}` } });

    expect(browser.protocol).toBe('chat.v1');
    expect(other.protocol).toBe('');
  });

  it('does not let $connect post to its own connection: it opens only after $connect returned', async () => {
    await open({ headers: { Authorization: `Bearer ${TOKEN}` } });

    expect(postedDuringConnect).toEqual(['gone']);
  });

  it("routes frames by their JSON action, else to $default, and sends nothing of the handler's return value", async () => {
    const client = await open({ headers: { Authorization: `Bearer ${TOKEN}` } });
    const [connect] = ofType('CONNECT') as [WebSocketEvent];

    client.send('{"action":"shout","text":"hi"}');
    expect(await nextMessage(client)).toEqual({ routeKey: 'shout', body: '{"action":"shout","text":"hi"}' });
    client.send('{"action":"sync"}');
    expect(await nextMessage(client)).toEqual({ routeKey: '$default', body: '{"action":"sync"}' });
    client.send('plain text');
    expect(await nextMessage(client)).toEqual({ routeKey: '$default', body: 'plain text' });

    const messages = ofType('MESSAGE');
    expect(messages.map((event) => event.requestContext.connectionId)).toEqual([1, 2, 3].map(() => connect.requestContext.connectionId));
    expect(messages[0]?.requestContext).toMatchObject({ eventType: 'MESSAGE', messageId: expect.any(String) });
  });

  it("answers a failing handler with API Gateway's internal error message", async () => {
    const client = await open({ headers: { Authorization: `Bearer ${TOKEN}` } });

    client.send('crash');

    expect(await nextMessage(client)).toEqual({ message: 'Internal server error', connectionId: expect.any(String), requestId: expect.any(String) });
  });

  it('runs $disconnect when the client closes, after which the connection is gone', async () => {
    const client = await open({ headers: { Authorization: `Bearer ${TOKEN}` } });
    const [connect] = ofType('CONNECT') as [WebSocketEvent];
    const { connectionId } = connect.requestContext;

    client.close(1000, 'bye');
    await until(() => ofType('DISCONNECT').length === 1);

    expect(ofType('DISCONNECT')[0]?.requestContext).toMatchObject({
      routeKey: '$disconnect',
      connectionId,
      disconnectStatusCode: 1000,
      disconnectReason: 'bye',
    });
    expect(await runtime.sockets.post(connectionId, 'anyone?')).toBe('gone');
    expect(runtime.sockets.size).toBe(0);
  });

  it('closes every socket (1001) when it closes, and waits for their $disconnect', async () => {
    const client = await open({ headers: { Authorization: `Bearer ${TOKEN}` } });
    const closed = once(client, 'close');

    await gateway.close();

    const [code] = await closed;
    expect(code).toBe(1001);
    expect(ofType('DISCONNECT')).toHaveLength(1);
  });

  it('answers 404 to an upgrade on another path', async () => {
    expect((await refused({ path: '/elsewhere', headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    expect(ofType('CONNECT')).toEqual([]);
  });
});

describe('LocalHttpGateway: Management API at /@connections/{id}', () => {
  let managementUrl: string;
  beforeEach(async () => {
    managementUrl = await gateway.listenManagement();
  });

  async function connected(): Promise<{ client: WebSocket; connectionId: string }> {
    const client = await open({ headers: { Authorization: `Bearer ${TOKEN}`, 'User-Agent': 'jest-ws' } });
    const connect = ofType('CONNECT').at(-1) as WebSocketEvent;
    return { client, connectionId: connect.requestContext.connectionId };
  }

  const connectionUrl = (connectionId: string) => `${managementUrl}/@connections/${encodeURIComponent(connectionId)}`;

  it("is not served on the API's port: a forged POST or DELETE there is refused, and the socket stays open and gets nothing", async () => {
    const { client, connectionId } = await connected();
    const received: string[] = [];
    client.on('message', (data: Buffer) => received.push(data.toString('utf8')));
    let closed = false;
    client.on('close', () => {
      closed = true;
    });
    const onApiPort = `${url}/@connections/${encodeURIComponent(connectionId)}`;

    for (const method of ['POST', 'GET', 'DELETE']) {
      const response = await fetch(onApiPort, { method, ...(method === 'POST' ? { body: '{"type":"forged"}' } : {}) });
      expect({ method, status: response.status }).toEqual({ method, status: 404 });
    }

    // The socket is still there and still works: the next message it gets is the real one, not the forged one.
    const message = nextMessage(client);
    expect((await fetch(connectionUrl(connectionId), { method: 'POST', body: '{"type":"real"}' })).status).toBe(200);
    expect(await message).toEqual({ type: 'real' });
    expect(received).toEqual(['{"type":"real"}']);
    expect(closed).toBe(false);
    expect(client.readyState).toBe(WebSocket.OPEN);
  });

  it('listens on 127.0.0.1 only, and serves nothing but the Management API', async () => {
    expect(new URL(managementUrl).hostname).toBe('127.0.0.1');
    expect((await fetch(`${managementUrl}/jobs`)).status).toBe(404);
  });

  it('posts to a connection, describes it, and deletes it', async () => {
    const { client, connectionId } = await connected();

    const message = nextMessage(client);
    const posted = await fetch(connectionUrl(connectionId), { method: 'POST', body: '{"hello":"there"}' });
    expect(posted.status).toBe(200);
    expect(await message).toEqual({ hello: 'there' });

    const described = await fetch(connectionUrl(connectionId));
    expect(described.status).toBe(200);
    expect(await described.json()).toEqual({
      connectedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      lastActiveAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      identity: { sourceIp: expect.any(String), userAgent: 'jest-ws' },
    });

    const closed = once(client, 'close');
    expect((await fetch(connectionUrl(connectionId), { method: 'DELETE' })).status).toBe(204);
    await closed;
    await until(() => ofType('DISCONNECT').length === 1);
  });

  it('answers 410 GoneException for a connection that is closed or unknown', async () => {
    const { client, connectionId } = await connected();
    client.close();
    await until(() => ofType('DISCONNECT').length === 1);

    for (const method of ['POST', 'GET', 'DELETE']) {
      for (const id of [connectionId, 'unknown=']) {
        const response = await fetch(connectionUrl(id), { method, ...(method === 'POST' ? { body: 'x' } : {}) });
        expect({ method, id, status: response.status, type: response.headers.get('x-amzn-errortype') }).toEqual({
          method,
          id,
          status: 410,
          type: 'GoneException',
        });
      }
    }
  });

  it('refuses a message over 128 KB with 413', async () => {
    const { connectionId } = await connected();

    const response = await fetch(connectionUrl(connectionId), { method: 'POST', body: 'x'.repeat(128 * 1024 + 1) });

    expect(response.status).toBe(413);
    expect(response.headers.get('x-amzn-errortype')).toBe('PayloadTooLargeException');
  });
});

describe('LocalHttpGateway without a WebSocket API', () => {
  it('accepts services without a websocket section and answers 404 to an upgrade at /socket', async () => {
    const plainDir = tempDir();
    const plain = await LocalRuntime.open({ dataDir: plainDir.path });
    plain.register({ declaration: defineService({ name: 'plain', description: 'no sockets', subscriptions: {} }), subscriptions: {}, schedules: {} });
    const plainGateway = new LocalHttpGateway(plain);
    const plainUrl = await plainGateway.listen(0);
    try {
      const client = new WebSocket(`${plainUrl.replace(/^http/, 'ws')}/socket`);
      client.on('error', () => undefined);
      const [, response] = (await once(client, 'unexpected-response')) as [unknown, { statusCode: number }];
      expect(response.statusCode).toBe(404);
      client.terminate();
    } finally {
      await plainGateway.close();
      await plain.close();
      plainDir.cleanup();
    }
  });
});
