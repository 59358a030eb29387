import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient } from '../src/api-client';

// A connection the server drops as a request goes out (a kept-alive one its idle timeout ends as we reuse it): the
// client sends a read once more, and never resends a write (the server may have acted on it).

let server: Server;
let requests: string[];

beforeEach(async () => {
  requests = [];
  server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    // The second request meets its connection closed, as when the server's keep-alive timeout ends the one it reused.
    if (requests.length === 2) {
      request.socket.destroy();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

test('a read on a connection the server closed is sent once more', async () => {
  const client = new ApiClient(url(), 'token-acme-0001');
  expect(await (await client.request('GET', '/jobs/a')).json()).toEqual({ ok: true });
  const again = await client.request('GET', '/jobs/b');
  expect(again.status).toBe(200);
  expect(requests).toEqual(['GET /jobs/a', 'GET /jobs/b', 'GET /jobs/b']);
});

test('a write on a connection the server closed fails, and is not sent again', async () => {
  const client = new ApiClient(url(), 'token-acme-0001');
  expect(await (await client.request('GET', '/jobs/a')).json()).toEqual({ ok: true });
  await expect(client.request('POST', '/jobs', '{}', { 'content-type': 'application/json' })).rejects.toThrow('fetch failed');
  expect(requests).toEqual(['GET /jobs/a', 'POST /jobs']);
});
