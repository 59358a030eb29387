import { randomBytes, randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_SOCKET_MESSAGE_BYTES } from '@refinery/ports';
import type { Logger, RunnableService, WebSocketEvent, WebSocketHandler, WebSocketResult } from '@refinery/runtime';
import WebSocket, { WebSocketServer } from 'ws';
import { readBody, sendJson } from './http-io';
import { lambdaContext } from './lambda-shapes';
import { type LocalSocketConnections, SocketMessageTooLargeError } from './local-socket-connections';

/** Where the local WebSocket API is served, on the HTTP API's port. */
export const LOCAL_SOCKET_PATH = '/socket';
/**
 * Where its Management API is served (API Gateway's paths: POST/GET/DELETE /@connections/{connectionId}), on the
 * gateway's separate management listener only (LocalHttpGateway.listenManagement), never on the API's port.
 */
export const LOCAL_CONNECTIONS_PATH = '/@connections/';
const STAGE = 'local';
/** The Management API answers `application/json` (no charset), as API Gateway's does. */
const MANAGEMENT_JSON = { 'content-type': 'application/json' };

/** A WebSocket API: its routes and the function behind them. */
export interface SocketApi {
  readonly service: string;
  readonly routes: ReadonlySet<string>;
  readonly handler: WebSocketHandler;
  readonly timeoutMs: number;
  readonly memoryMb: number;
}

/** The WebSocket API of the services (at most one may declare one: it is served at LOCAL_SOCKET_PATH). */
export function socketApiOf(services: Iterable<RunnableService>): SocketApi | undefined {
  const apis: SocketApi[] = [];
  for (const service of services) {
    const declared = service.declaration.websocket;
    if (!declared) continue;
    if (!service.websocket) throw new Error(`service ${service.declaration.name} declares a WebSocket API but gives no handler for it`);
    apis.push({
      service: service.declaration.name,
      routes: new Set(declared.routes),
      handler: service.websocket,
      timeoutMs: declared.function.timeoutSeconds * 1000,
      memoryMb: declared.function.memorySizeMb,
    });
  }
  if (apis.length > 1) {
    throw new Error(
      `the local gateway serves one WebSocket API at ${LOCAL_SOCKET_PATH}; ${apis.map((a) => a.service).join(' and ')} both declare one`,
    );
  }
  return apis[0];
}

/**
 * The local stand-in for an API Gateway WebSocket API and its Management API, served by the HTTP gateway:
 * - `GET /socket` upgrades to a WebSocket. `$connect` runs first with the handshake's headers and query; a status other
 *   than 2xx refuses the handshake with it, and its `Sec-WebSocket-Protocol` header picks the subprotocol. Only then is
 *   the connection open (posting to it earlier answers gone, as on API Gateway).
 * - Each text frame runs the route its JSON `action` names (route selection `$request.body.action`) or `$default`;
 *   what the handler returns is not sent (no route responses). A failing handler sends API Gateway's
 *   `{"message":"Internal server error",...}`; a message no route takes, its `{"message":"Forbidden",...}`.
 * - When a socket closes, `$disconnect` runs; closing the gateway closes every socket (1001) and waits for those.
 * - `POST|GET|DELETE /@connections/{id}` answer as the Management API does (410 GoneException for an unknown or
 *   closed connection), so the AWS adapter can be tested against it with the real SDK client. The real API needs IAM
 *   credentials: this one is served only on a listener of its own bound to 127.0.0.1, never on the API's port, and
 *   still refuses requests from other machines.
 */
export class LocalSocketGateway {
  private readonly api: SocketApi | undefined;
  private readonly server: WebSocketServer;
  /** The subprotocol each accepted handshake's $connect chose (read by ws while it completes the upgrade). */
  private readonly chosenProtocols = new WeakMap<IncomingMessage, string>();
  private readonly invocations = new Set<Promise<unknown>>();
  private readonly open = new Set<WebSocket>();
  private closing = false;

  constructor(
    api: SocketApi | undefined,
    private readonly connections: LocalSocketConnections,
    private readonly logger: Logger,
  ) {
    this.api = api;
    this.server = new WebSocketServer({
      noServer: true,
      // API Gateway's limit for one message (frames of 32 KB, messages of 128 KB).
      maxPayload: MAX_SOCKET_MESSAGE_BYTES,
      handleProtocols: (_offered, request) => this.chosenProtocols.get(request) ?? false,
    });
  }

  /** An `upgrade` request of the HTTP server. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Tracked, so closing the gateway waits for a $connect that is running.
    this.track(
      this.upgrade(request, socket, head).catch((error: unknown) => {
        this.logger.error({ err: error }, 'socket gateway error');
        refuse(socket, 500, JSON.stringify({ message: 'Internal server error' }));
      }),
    );
  }

  /** Management API requests (`/@connections/{id}`); false for other paths. */
  async handleRequest(request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean> {
    if (!url.pathname.startsWith(LOCAL_CONNECTIONS_PATH)) return false;
    const connectionId = decodeURIComponent(url.pathname.slice(LOCAL_CONNECTIONS_PATH.length));
    const method = request.method ?? 'GET';
    if (!isLoopback(request.socket.remoteAddress)) {
      request.resume();
      sendError(response, 403, 'ForbiddenException', 'the local Management API answers this machine only');
      return true;
    }
    if (method === 'POST') {
      const body = await readBody(request, MAX_SOCKET_MESSAGE_BYTES);
      if (body === 'too-large') {
        sendError(response, 413, 'PayloadTooLargeException', `messages are limited to ${MAX_SOCKET_MESSAGE_BYTES} bytes`);
        return true;
      }
      const outcome = await this.connections.post(connectionId, body.toString('utf8')).catch((error: unknown) => {
        if (error instanceof SocketMessageTooLargeError) return 'too-large' as const;
        throw error;
      });
      if (outcome === 'gone') sendGone(response, connectionId);
      else if (outcome === 'too-large')
        sendError(response, 413, 'PayloadTooLargeException', `messages are limited to ${MAX_SOCKET_MESSAGE_BYTES} bytes`);
      else sendEmpty(response, 200);
      return true;
    }
    request.resume();
    if (method === 'GET') {
      const info = this.connections.info(connectionId);
      if (!info) sendGone(response, connectionId);
      else {
        // The wire names (the SDK maps them to ConnectedAt, Identity.SourceIp, ...).
        sendJson(
          response,
          200,
          {
            connectedAt: info.connectedAt.toISOString(),
            lastActiveAt: info.lastActiveAt.toISOString(),
            identity: { sourceIp: info.sourceIp, userAgent: info.userAgent },
          },
          MANAGEMENT_JSON,
        );
      }
      return true;
    }
    if (method === 'DELETE') {
      if (this.connections.disconnect(connectionId)) sendEmpty(response, 204);
      else sendGone(response, connectionId);
      return true;
    }
    sendError(response, 405, 'MethodNotAllowedException', `${method} is not allowed on ${url.pathname}`);
    return true;
  }

  /** Closes every socket (1001 Going Away) and waits for their $disconnect handlers. */
  async close(): Promise<void> {
    this.closing = true;
    const closing = [...this.open].map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.close(1001, 'Going Away');
          // A client that never answers the closing handshake is cut off.
          setTimeout(() => ws.terminate(), 1000).unref();
        }),
    );
    await Promise.all(closing);
    while (this.invocations.size > 0) await Promise.allSettled([...this.invocations]);
    this.server.close();
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://local');
    if (url.pathname !== LOCAL_SOCKET_PATH || !this.api) return refuse(socket, 404, JSON.stringify({ message: 'Not Found' }));
    if (this.closing) return refuse(socket, 503, JSON.stringify({ message: 'Service Unavailable' }));
    const problem = handshakeProblem(request);
    if (problem) return refuse(socket, 400, JSON.stringify({ message: problem }));
    const api = this.api;
    const connectionId = randomBytes(10).toString('base64');
    const identity = { sourceIp: request.socket.remoteAddress ?? '127.0.0.1', userAgent: request.headers['user-agent'] ?? '' };
    const connectedAt = Date.now();
    const context = { api, connectionId, connectedAt, domainName: request.headers.host ?? 'localhost', identity };

    if (api.routes.has('$connect')) {
      const result = await this.invoke(api, connectEvent(context, request, url));
      const statusCode = result?.statusCode ?? 500;
      if (statusCode < 200 || statusCode > 299) {
        return refuse(
          socket,
          statusCode,
          result?.body ?? JSON.stringify({ message: statusCode === 500 ? 'Internal server error' : STATUS_CODES[statusCode] }),
        );
      }
      const protocol = headerOf(result?.headers, 'sec-websocket-protocol');
      if (protocol) this.chosenProtocols.set(request, protocol);
    }
    if (socket.destroyed || this.closing) {
      // The client left (or the gateway is closing) while $connect ran: the connection ends before it opened.
      this.track(this.invoke(api, disconnectEvent(context, 1006, 'closed during the handshake')));
      return refuse(socket, 503, JSON.stringify({ message: 'Service Unavailable' }));
    }
    this.server.handleUpgrade(request, socket, head, (ws) => this.opened(ws, context));
  }

  private opened(ws: WebSocket, context: ConnectionContext): void {
    const { api, connectionId } = context;
    this.open.add(ws);
    this.connections.attach(
      connectionId,
      {
        isOpen: () => ws.readyState === WebSocket.OPEN,
        send: (message) => new Promise<void>((resolve, reject) => ws.send(message, (error) => (error ? reject(error) : resolve()))),
        close: () => ws.close(1000, 'Deleted'),
      },
      context.identity,
    );
    // One message at a time per connection, in the order they came.
    let queue: Promise<void> = Promise.resolve();
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.connections.touch(connectionId);
      queue = queue
        .then(() => this.message(ws, context, data, isBinary))
        .catch((error: unknown) => this.logger.error({ err: error, connectionId }, 'socket message failed'));
      this.track(queue);
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.open.delete(ws);
      this.connections.detach(connectionId);
      if (api.routes.has('$disconnect')) this.track(queue.then(() => this.invoke(api, disconnectEvent(context, code, reason.toString('utf8')))));
    });
    ws.on('error', (error) => this.logger.warn({ err: error, connectionId }, 'socket error'));
  }

  private async message(ws: WebSocket, context: ConnectionContext, data: Buffer, isBinary: boolean): Promise<void> {
    const { api, connectionId } = context;
    const body = isBinary ? data.toString('base64') : data.toString('utf8');
    const routeKey = selectRoute(api.routes, isBinary ? undefined : body);
    const requestId = randomUUID();
    if (!routeKey) {
      ws.send(JSON.stringify({ message: 'Forbidden', connectionId, requestId }));
      return;
    }
    const event = messageEvent(context, routeKey, requestId, body, isBinary);
    const result = await this.invoke(api, event);
    if (!result && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ message: 'Internal server error', connectionId, requestId }));
  }

  /** Runs the handler as Lambda would; undefined when it throws (logged). */
  private async invoke(api: SocketApi, event: WebSocketEvent): Promise<WebSocketResult | undefined> {
    try {
      return await api.handler(event, lambdaContext(`${api.service}-socket`, api.timeoutMs, api.memoryMb));
    } catch (error) {
      this.logger.error(
        { err: error, routeKey: event.requestContext.routeKey, connectionId: event.requestContext.connectionId },
        'socket handler failed',
      );
      return undefined;
    }
  }

  private track(invocation: Promise<unknown>): void {
    const tracked = invocation.catch(() => undefined).finally(() => this.invocations.delete(tracked));
    this.invocations.add(tracked);
  }
}

interface ConnectionContext {
  readonly api: SocketApi;
  readonly connectionId: string;
  readonly connectedAt: number;
  readonly domainName: string;
  readonly identity: { readonly sourceIp: string; readonly userAgent: string };
}

/** `$request.body.action` when the frame is JSON naming a declared route, else `$default` when declared. */
function selectRoute(routes: ReadonlySet<string>, body: string | undefined): string | undefined {
  if (body !== undefined) {
    try {
      const action = (JSON.parse(body) as { action?: unknown } | null)?.action;
      if (typeof action === 'string' && !action.startsWith('$') && routes.has(action)) return action;
    } catch {
      // Not JSON: $default.
    }
  }
  return routes.has('$default') ? '$default' : undefined;
}

/** The request context API Gateway gives every event of a connection (MESSAGE events add a messageId). */
function requestContext(
  context: ConnectionContext,
  routeKey: string,
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT',
  requestId: string = randomUUID(),
): WebSocketEvent['requestContext'] {
  const now = new Date();
  return {
    routeKey,
    eventType,
    messageDirection: 'IN',
    extendedRequestId: requestId,
    requestId,
    requestTime: now.toUTCString(),
    requestTimeEpoch: now.getTime(),
    connectedAt: context.connectedAt,
    connectionId: context.connectionId,
    domainName: context.domainName,
    stage: STAGE,
    apiId: 'local',
    identity: { sourceIp: context.identity.sourceIp, userAgent: context.identity.userAgent },
  };
}

/** CONNECT: headers as the client wrote them (names in their own case), their multi-value form, the query. */
function connectEvent(context: ConnectionContext, request: IncomingMessage, url: URL): WebSocketEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] as string;
    const value = request.rawHeaders[i + 1] as string;
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  return {
    headers,
    multiValueHeaders,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: requestContext(context, '$connect', 'CONNECT'),
    isBase64Encoded: false,
  };
}

function messageEvent(context: ConnectionContext, routeKey: string, requestId: string, body: string, isBase64Encoded: boolean): WebSocketEvent {
  return {
    requestContext: { ...requestContext(context, routeKey, 'MESSAGE', requestId), messageId: randomBytes(6).toString('base64') },
    body,
    isBase64Encoded,
  };
}

function disconnectEvent(context: ConnectionContext, code: number, reason: string): WebSocketEvent {
  return {
    headers: { Host: context.domainName },
    requestContext: { ...requestContext(context, '$disconnect', 'DISCONNECT'), disconnectStatusCode: code, disconnectReason: reason },
    isBase64Encoded: false,
  };
}

/** What ws would refuse (RFC 6455 §4.2.1), checked before $connect runs so a refused upgrade never reaches it. */
function handshakeProblem(request: IncomingMessage): string | undefined {
  if (request.method !== 'GET') return 'a WebSocket handshake is a GET';
  if ((request.headers.upgrade ?? '').toLowerCase() !== 'websocket') return 'missing Upgrade: websocket';
  const key = request.headers['sec-websocket-key'];
  if (!key || !/^[+/0-9A-Za-z]{22}==$/.test(key)) return 'missing or invalid Sec-WebSocket-Key';
  const version = Number(request.headers['sec-websocket-version']);
  if (version !== 13 && version !== 8) return 'unsupported Sec-WebSocket-Version';
  return undefined;
}

function headerOf(headers: Readonly<Record<string, string>> | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

function refuse(socket: Duplex, statusCode: number, body: string): void {
  if (socket.destroyed) return;
  const status = STATUS_CODES[statusCode] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${statusCode} ${status}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `${statusCode === 401 ? 'WWW-Authenticate: Bearer\r\n' : ''}\r\n${body}`,
  );
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function sendEmpty(response: ServerResponse, status: number): void {
  response.writeHead(status, { 'content-length': '0' });
  response.end();
}

/** The Management API's errors: the type in `x-amzn-ErrorType` (what the SDK reads), a message in the body. */
function sendError(response: ServerResponse, status: number, type: string, message: string): void {
  sendJson(response, status, { message }, { ...MANAGEMENT_JSON, 'x-amzn-errortype': type });
}

function sendGone(response: ServerResponse, connectionId: string): void {
  sendError(response, 410, 'GoneException', `connection ${connectionId} is gone`);
}
