import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { EventMetadata } from '@refinery/events';
import { noMetrics, type SocketConnections } from '@refinery/ports';
import { SecretSealer, TokenRegistry } from '@refinery/runtime';
import { type ApiEventInput, apiEvent, readFixture, TestClock, type TestPorts, testContext } from '@refinery/test-support';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DEFAULT_NOTIFIER_CONFIG, type NotifierConfig, notifierHandlers } from '../src/service';

export const ACME_TOKEN = 'acme-token-0123456789';
export const GLOBEX_TOKEN = 'globex-token-0123456789';
/** The key-encryption key the notifier under test seals signing secrets with. */
export const KEY_ENCRYPTION_KEY = Buffer.alloc(32, 7);

export interface Fixture {
  detail: { metadata: EventMetadata; data: Record<string, unknown> };
}

export function fixture(name: string): Fixture {
  return JSON.parse(readFixture(join(__dirname, 'fixtures', `${name}.json`))) as Fixture;
}

export function body(name: string, change?: (event: Fixture) => void): string {
  const event = fixture(name);
  change?.(event);
  return JSON.stringify(event);
}

/**
 * SocketConnections in memory: what was posted to each connection, in order. A connection is open once `open` was
 * called and until `close`; posting to any other answers 'gone', as API Gateway's 410.
 */
export class FakeSockets implements SocketConnections {
  readonly posted = new Map<string, string[]>();
  /** Every connection posted to, in order, the gone ones included. */
  readonly attempts: string[] = [];
  private readonly openIds = new Set<string>();
  failWith: Error | undefined;

  open(...connectionIds: string[]): void {
    for (const id of connectionIds) this.openIds.add(id);
  }

  close(connectionId: string): void {
    this.openIds.delete(connectionId);
  }

  async post(connectionId: string, message: string): Promise<'sent' | 'gone'> {
    this.attempts.push(connectionId);
    if (this.failWith) throw this.failWith;
    if (!this.openIds.has(connectionId)) return 'gone';
    this.posted.set(connectionId, [...(this.posted.get(connectionId) ?? []), message]);
    return 'sent';
  }

  /** The messages a connection received, parsed. */
  messagesTo(connectionId: string): Record<string, unknown>[] {
    return (this.posted.get(connectionId) ?? []).map((text) => JSON.parse(text) as Record<string, unknown>);
  }
}

export function createNotifier(ports: TestPorts, config: Partial<NotifierConfig> = {}, sockets: SocketConnections = new FakeSockets()) {
  // Standard Webhooks receivers reject timestamps more than 5 minutes off: sign with the real time.
  const clock = new TestClock(new Date().toISOString());
  const service = notifierHandlers({
    publisher: ports.publisher,
    clock,
    ids: ports.ids,
    logger: ports.logger,
    metrics: noMetrics,
    config: { ...DEFAULT_NOTIFIER_CONFIG, ...config },
    subscriptions: ports.table('notifier-subscriptions'),
    tokens: new TokenRegistry(
      new Map([
        [ACME_TOKEN, 'acme'],
        [GLOBEX_TOKEN, 'globex'],
      ]),
    ),
    secrets: new SecretSealer(KEY_ENCRYPTION_KEY),
    sockets,
  });
  const http = service.http;
  const api = async (input: ApiEventInput) => {
    const response = (await http(apiEvent(input), testContext())) as APIGatewayProxyStructuredResultV2;
    return { ...response, json: response.body ? (JSON.parse(response.body) as Record<string, unknown>) : undefined };
  };
  return {
    api,
    jobs: service.subscriptions.jobs.handler,
    progress: service.subscriptions.progress.handler,
    socket: service.websocket,
    service,
    clock,
  };
}

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A real HTTP server on 127.0.0.1 that records every request and answers with scripted status codes per path. */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly scripts = new Map<string, number[]>();
  private readonly server: Server = createServer((request, response) => void this.handle(request, response));

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** Answers the requests to `path` with these status codes in turn; the last one repeats. Default 200. */
  respond(path: string, statuses: number[]): void {
    this.scripts.set(path, [...statuses]);
  }

  to(path: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string') headers[name] = value;
    }
    const path = request.url ?? '/';
    this.requests.push({ method: request.method ?? '', path, headers, body: Buffer.concat(chunks).toString('utf8') });
    const script = this.scripts.get(path) ?? [200];
    const status = (script.length > 1 ? script.shift() : script[0]) ?? 200;
    response.writeHead(status, { 'content-type': 'text/plain' });
    response.end(status < 300 ? 'ok' : 'no');
  }
}
