import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { MultipartUploadNotFoundError, ObjectExistsError, ObjectNotFoundError, type ObjectRef } from '@refinery/ports';
import { type HttpApiHandler, type Logger, silentLogger } from '@refinery/runtime';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { answerPreflight, HTTP_API_CORS, setCorsHeaders, UPLOADS_CORS } from './cors';
import { readBody, sendJson } from './http-io';
import { LOCAL_ACCOUNT, lambdaContext } from './lambda-shapes';
import type { LocalObjectStore } from './local-object-store';
import { LocalRuntime } from './local-runtime';
import type { LocalSocketConnections } from './local-socket-connections';
import { LocalSocketGateway, type SocketApi, socketApiOf } from './socket-gateway';
import { DataDirFaultError } from './storage-health';

/**
 * Lambda's synchronous invocation payload limit is 6 MB; with base64 that leaves about 4.5 MB of request body.
 * The local gateway refuses the same bodies API Gateway + Lambda would, so nobody builds on a local-only luxury.
 */
export const MAX_API_BODY_BYTES = 4_500_000;

/** One route of an HTTP API and the function behind it. */
export interface GatewayRoute {
  readonly routeKey: string;
  readonly handler: HttpApiHandler;
  readonly functionName: string;
}

/** What a gateway serves: HTTP API routes, at most one WebSocket API, and the local object store's presigned URLs. */
export interface GatewayApis {
  readonly routes: readonly GatewayRoute[];
  readonly socketApi?: SocketApi;
  readonly connections: LocalSocketConnections;
  /** Presigned object URLs are served at /_objects/ when there is a local object store (not for an emulated S3). */
  readonly objects?: LocalObjectStore;
  /** Told the gateway's URL once it listens (the local object store signs URLs for it). */
  readonly onListening?: (url: string) => void;
}

interface CompiledRoute extends GatewayRoute {
  readonly method: string;
  readonly pattern: RegExp;
  readonly parameters: readonly string[];
}

/** What the local runtime's services serve. */
function apisOfRuntime(runtime: LocalRuntime): GatewayApis {
  const routes: GatewayRoute[] = [];
  for (const service of runtime.services.values()) {
    if (!service.http || !service.declaration.http) continue;
    for (const routeKey of service.declaration.http.routes)
      routes.push({ routeKey, handler: service.http, functionName: `${service.declaration.name}-api` });
  }
  const socketApi = socketApiOf(runtime.services.values());
  return {
    routes,
    ...(socketApi ? { socketApi } : {}),
    connections: runtime.sockets,
    objects: runtime.objects,
    onListening: (url) => runtime.setPublicBaseUrl(url),
  };
}

/** Extra handlers for paths outside the services' APIs (the web page, in a later issue). */
export type ExtraRequestHandler = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

/**
 * The local stand-in for API Gateway HTTP APIs and S3 presigned URLs: routes requests to the services' handlers as
 * payload-v2 events (route keys from their declarations), and serves presigned PUT/GET at /_objects/BUCKET/KEY. The
 * WebSocket API of the service that declares one is served on the same port at /socket. Its Management API
 * (`/@connections/{id}`, see LocalSocketGateway) is never served on this port, whose clients are the API's users: on
 * AWS it needs IAM credentials. The local services post to sockets in process; only a caller that runs functions out
 * of process (the AWS emulator, the adapter's tests) asks for it, on a listener of its own (listenManagement).
 */
export class LocalHttpGateway {
  private server: Server | undefined;
  private managementServer: Server | undefined;
  private readonly routes: CompiledRoute[] = [];
  private readonly logger: Logger;
  private readonly extraHandlers: ExtraRequestHandler[] = [];
  private readonly sockets: LocalSocketGateway;
  private readonly apis: GatewayApis;

  /** The APIs of the local runtime's services (and its objects' presigned URLs), or the APIs given. */
  constructor(source: LocalRuntime | GatewayApis, options: { logger?: Logger } = {}) {
    this.logger = options.logger ?? silentLogger;
    this.apis = source instanceof LocalRuntime ? apisOfRuntime(source) : source;
    for (const route of this.apis.routes) this.routes.push(compileRoute(route));
    // Literal segments win over parameters, as in API Gateway ("/jobs/stats" before "/jobs/{id}").
    this.routes.sort((a, b) => a.parameters.length - b.parameters.length);
    this.sockets = new LocalSocketGateway(this.apis.socketApi, this.apis.connections, this.logger);
  }

  use(handler: ExtraRequestHandler): void {
    this.extraHandlers.push(handler);
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.logger.error({ err: error }, 'gateway error');
        if (!response.headersSent) sendJson(response, 500, { error: { code: 'internal', message: 'internal gateway error' } });
        else response.destroy();
      });
    });
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.sockets.handleUpgrade(request, socket, head));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    const url = `http://${host}:${address.port}`;
    this.apis.onListening?.(url);
    return url;
  }

  /**
   * Serves the WebSocket API's Management API (`POST|GET|DELETE /@connections/{id}`, nothing else) on its own port,
   * bound to 127.0.0.1 only: for functions that run out of process and post through the SDK (WEBSOCKET_ENDPOINT). Its URL.
   */
  async listenManagement(port = 0): Promise<string> {
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://local');
      this.sockets
        .handleRequest(request, response, url)
        .then((handled) => {
          if (!handled) {
            request.resume();
            sendJson(response, 404, { message: `no route for ${request.method ?? 'GET'} ${url.pathname}` });
          }
        })
        .catch((error: unknown) => {
          this.logger.error({ err: error }, 'management API error');
          if (!response.headersSent) sendJson(response, 500, { message: 'internal error' });
          else response.destroy();
        });
    });
    this.managementServer = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    const management = this.managementServer;
    if (!server && !management) return;
    await this.sockets.close();
    for (const listener of [server, management]) {
      if (!listener) continue;
      listener.closeAllConnections();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://local');
    // Cross-origin pages (the web page as static files elsewhere) get the CORS answers the AWS side gives.
    const cors = url.pathname.startsWith('/_objects/') ? UPLOADS_CORS : HTTP_API_CORS;
    if (answerPreflight(request, response, cors)) return;
    setCorsHeaders(request, response, cors);
    if (url.pathname.startsWith('/_objects/') && this.apis.objects) return this.handleObject(this.apis.objects, request, response, url);
    for (const extra of this.extraHandlers) if (await extra(request, response)) return;
    const method = request.method ?? 'GET';
    let allowed = false;
    for (const route of this.routes) {
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      if (route.method !== method) {
        allowed = true;
        continue;
      }
      const pathParameters: Record<string, string> = {};
      for (const [i, name] of route.parameters.entries()) {
        const decoded = decodePathSegment(match[i + 1] as string);
        if (decoded === undefined) return sendMalformedPath(response, url.pathname);
        pathParameters[name] = decoded;
      }
      const body = await readBody(request, MAX_API_BODY_BYTES);
      if (body === 'too-large') {
        return sendJson(response, 413, {
          error: {
            code: 'payload_too_large',
            message: `request bodies are limited to ${MAX_API_BODY_BYTES} bytes; for larger files POST /jobs with {"filename"} and upload to the URL it returns`,
          },
        });
      }
      const event = toApiGatewayEvent(request, url, route.routeKey, pathParameters, body);
      const result = await route.handler(event, lambdaContext(route.functionName, 30_000));
      return writeResult(response, result);
    }
    sendJson(response, allowed ? 405 : 404, {
      error: allowed
        ? { code: 'method_not_allowed', message: `${method} is not allowed on ${url.pathname}` }
        : { code: 'not_found', message: `no route for ${method} ${url.pathname}` },
    });
  }

  /** Presigned object requests: the local counterpart of S3 answering a presigned URL. */
  private async handleObject(objects: LocalObjectStore, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const [, , bucket, ...keyParts] = url.pathname.split('/');
    const keySegments = keyParts.map(decodePathSegment);
    if (keySegments.some((segment) => segment === undefined)) {
      request.resume();
      return sendXmlError(response, 400, 'InvalidURI', 'Could not parse the specified URI: it has a malformed %-escape.');
    }
    const ref: ObjectRef = { bucket: bucket ?? '', key: keySegments.join('/') };
    const method = request.method ?? 'GET';
    if (method !== 'PUT' && method !== 'GET') return sendXmlError(response, 405, 'MethodNotAllowed', `${method} is not allowed`);
    const verdict = objects.verifyPresigned(method, ref, url.searchParams, {
      contentType: request.headers['content-type'],
      ifNoneMatch: request.headers['if-none-match'],
      contentLength: request.headers['content-length'],
      transferEncoding: request.headers['transfer-encoding'],
    });
    if (!verdict.ok) {
      // Not read: refused before any of it is stored (the connection is closed rather than the body drained).
      response.setHeader('connection', 'close');
      return sendXmlError(response, 403, 'AccessDenied', verdict.reason);
    }
    const { uploadId, partNumber } = verdict.conditions;
    if (method === 'PUT' && uploadId !== undefined && partNumber !== undefined)
      return putPartOf(objects, request, response, ref, uploadId, partNumber);
    if (method === 'PUT') {
      const contentType = request.headers['content-type'];
      try {
        const info = await objects.put(ref, request, {
          ...(contentType ? { contentType } : {}),
          ...(verdict.conditions.ifNoneMatch ? { ifNoneMatch: verdict.conditions.ifNoneMatch } : {}),
        });
        response.writeHead(200, { etag: info.etag, 'content-length': '0' });
        response.end();
      } catch (error) {
        if (error instanceof ObjectExistsError) {
          request.resume();
          return sendXmlError(response, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
        }
        // A full or read-only data dir: S3's "try again later", with what is wrong and what to do.
        if (error instanceof DataDirFaultError) {
          request.resume();
          return sendXmlError(response, 503, 'ServiceUnavailable', error.message);
        }
        throw error;
      }
      return;
    }
    try {
      const info = await objects.head(ref);
      if (!info) throw new ObjectNotFoundError(ref);
      const stream = await objects.get(ref);
      const downloadName = url.searchParams.get('X-Refinery-Download-Name');
      response.writeHead(200, {
        'content-type': info.contentType ?? 'application/octet-stream',
        'content-length': String(info.sizeBytes),
        etag: info.etag,
        ...(downloadName ? { 'content-disposition': `attachment; filename="${downloadName.replace(/"/g, '')}"` } : {}),
      });
      stream.pipe(response);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return sendXmlError(response, 404, 'NoSuchKey', 'The specified key does not exist.');
      throw error;
    }
  }
}

/** A presigned part PUT: the part is stored aside, its ETag answered (a broken body stores nothing). */
async function putPartOf(
  objects: LocalObjectStore,
  request: IncomingMessage,
  response: ServerResponse,
  ref: ObjectRef,
  uploadId: string,
  partNumber: number,
): Promise<void> {
  try {
    const { etag } = await objects.uploadPart(ref, uploadId, partNumber, request);
    response.writeHead(200, { etag, 'content-length': '0' });
    response.end();
  } catch (error) {
    request.resume();
    if (error instanceof MultipartUploadNotFoundError) {
      return sendXmlError(response, 404, 'NoSuchUpload', 'The specified multipart upload does not exist: it may have been completed or aborted.');
    }
    if (error instanceof DataDirFaultError) return sendXmlError(response, 503, 'ServiceUnavailable', error.message);
    throw error;
  }
}

/** A path segment with its %-escapes decoded, or undefined when one is malformed (`%E0%A4%A`, `%zz`, a lone `%`). */
function decodePathSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * A path whose %-escapes do not decode names nothing: 400 before anything else (authentication included) looks at it,
 * instead of the 500 of an exception thrown while routing.
 */
function sendMalformedPath(response: ServerResponse, path: string): void {
  sendJson(response, 400, {
    error: {
      code: 'malformed_path',
      message: `the path ${JSON.stringify(path.slice(0, 200))} has a malformed %-escape (each % must start a UTF-8 byte as %XX)`,
    },
  });
}

function compileRoute(route: GatewayRoute): CompiledRoute {
  const [method, path] = route.routeKey.split(' ') as [string, string];
  const parameters: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      const param = /^\{([A-Za-z0-9_]+)\}$/.exec(segment);
      if (param) {
        parameters.push(param[1] as string);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { ...route, method, pattern: new RegExp(`^${source}/?$`), parameters };
}

function toApiGatewayEvent(
  request: IncomingMessage,
  url: URL,
  routeKey: string,
  pathParameters: Record<string, string>,
  body: Buffer,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length ? { body: body.toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
  };
}

function writeResult(response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | number | boolean> = { ...(result.headers ?? {}) };
  if (result.cookies?.length) headers['set-cookie'] = result.cookies.join(', ');
  const body = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  response.writeHead(result.statusCode ?? 200, { ...headers, 'content-length': body.length });
  response.end(body);
}

function sendXmlError(response: ServerResponse, status: number, code: string, message: string): void {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message.replace(/[<&>]/g, '')}</Message></Error>`;
  response.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
