import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * API Gateway's WebSocket Management API as far as notifier uses it (`POST /{stage}/@connections/{id}`), for the
 * pipeline on the AWS adapters: the real SDK client posts here, and the test reads what each connection received.
 * Connections the test has not opened answer 410 GoneException, as API Gateway does for a client that left.
 */
export class SocketManagementStandIn {
  private readonly received = new Map<string, string[]>();
  private server: Server | undefined;

  /** A connection API Gateway would have opened ($connect is the test's to call). */
  open(connectionId: string): void {
    this.received.set(connectionId, []);
  }

  /** The client left: from now on posts to it are 410. */
  leave(connectionId: string): void {
    this.received.delete(connectionId);
  }

  /** The messages posted to a connection, parsed, in arrival order. */
  messages(connectionId: string): unknown[] {
    return (this.received.get(connectionId) ?? []).map((text) => JSON.parse(text) as unknown);
  }

  /** Listens on loopback; returns the stage's endpoint (`http://127.0.0.1:PORT/STAGE`). */
  async listen(stage: string): Promise<string> {
    const server = createServer((request, response) => {
      const match = new RegExp(`^/${stage}/@connections/([^/]+)$`).exec(request.url ?? '');
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const inbox = match && request.method === 'POST' ? this.received.get(decodeURIComponent(match[1] as string)) : undefined;
        if (!match || request.method !== 'POST') {
          response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Not Found' }));
        } else if (!inbox) {
          response
            .writeHead(410, { 'content-type': 'application/json', 'x-amzn-errortype': 'GoneException' })
            .end(JSON.stringify({ message: 'Gone' }));
        } else {
          inbox.push(Buffer.concat(chunks).toString('utf8'));
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        }
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/${stage}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
