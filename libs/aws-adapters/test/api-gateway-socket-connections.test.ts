import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GetConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { LocalHttpGateway, LocalRuntime } from '@refinery/local-runtime';
import { MAX_SOCKET_MESSAGE_BYTES } from '@refinery/ports';
import { ApiGatewaySocketConnections } from '../src';

// The adapter with the real SDK client against the local gateway's stand-in for the Management API
// (POST /@connections/{id}, 410 GoneException), as its WebSocket connections would be on API Gateway.

let dataDir: string;
let runtime: LocalRuntime;
let gateway: LocalHttpGateway;
let client: ApiGatewayManagementApiClient;
let connections: ApiGatewaySocketConnections;
let received: Map<string, string[]>;

/** An open connection of the local WebSocket API (what the gateway attaches after a handshake), recording what it gets. */
function attach(connectionId: string): { close(): void } {
  let open = true;
  received.set(connectionId, []);
  runtime.sockets.attach(
    connectionId,
    {
      isOpen: () => open,
      send: async (message) => {
        received.get(connectionId)?.push(message);
      },
      close: () => {
        open = false;
      },
    },
    { sourceIp: '127.0.0.1', userAgent: 'test' },
  );
  return { close: () => runtime.sockets.disconnect(connectionId) };
}

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'refinery-sockets-'));
  runtime = await LocalRuntime.open({ dataDir });
  gateway = new LocalHttpGateway(runtime);
  await gateway.listen(0);
  // The Management API has a listener of its own (never the API's port).
  const managementUrl = await gateway.listenManagement();
  received = new Map();
  client = new ApiGatewayManagementApiClient({
    endpoint: managementUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  });
  connections = new ApiGatewaySocketConnections({ client });
});

afterEach(async () => {
  await gateway.close();
  await runtime.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('ApiGatewaySocketConnections', () => {
  it('posts a message to a connection (ids with base64 characters too)', async () => {
    attach('Bd0j8e4CIAMCEjQ=');
    attach('a+b/c==');

    expect(await connections.post('Bd0j8e4CIAMCEjQ=', '{"type":"job","n":1}')).toBe('sent');
    expect(await connections.post('a+b/c==', 'naïve ✓')).toBe('sent');

    expect(received.get('Bd0j8e4CIAMCEjQ=')).toEqual(['{"type":"job","n":1}']);
    expect(received.get('a+b/c==')).toEqual(['naïve ✓']);
  });

  it("answers 'gone' for a connection that closed or never existed (410 GoneException)", async () => {
    const connection = attach('closing=');
    connection.close();

    expect(await connections.post('closing=', 'hello')).toBe('gone');
    expect(await connections.post('never-was=', 'hello')).toBe('gone');
    expect(received.get('closing=')).toEqual([]);
  });

  it('throws what is not gone, e.g. a message over 128 KB (413 PayloadTooLargeException)', async () => {
    attach('big=');

    await expect(connections.post('big=', 'x'.repeat(MAX_SOCKET_MESSAGE_BYTES + 1))).rejects.toMatchObject({ name: 'PayloadTooLargeException' });
    expect(received.get('big=')).toEqual([]);
  });

  it('is tested against a stand-in the SDK reads as the real API (GetConnection, DeleteConnection)', async () => {
    attach('described=');

    const described = await client.send(new GetConnectionCommand({ ConnectionId: 'described=' }));
    expect(described).toMatchObject({
      ConnectedAt: expect.any(Date),
      LastActiveAt: expect.any(Date),
      Identity: { SourceIp: '127.0.0.1', UserAgent: 'test' },
    });
    await client.send(new DeleteConnectionCommand({ ConnectionId: 'described=' }));
    expect(await connections.post('described=', 'hello')).toBe('gone');
    await expect(client.send(new GetConnectionCommand({ ConnectionId: 'described=' }))).rejects.toMatchObject({ name: 'GoneException' });
  });
});
