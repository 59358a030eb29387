import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { TokenRegistry } from './auth';
import { machineFaultOf } from './errors';
import type { Logger } from './logger';

export type ApiResponse = APIGatewayProxyStructuredResultV2;

/** Retry-After of a 503 answered while the machine's storage is full or read-only: a person has to act first. */
export const MACHINE_FAULT_RETRY_AFTER_SECONDS = 30;
export type HttpApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<ApiResponse>;

/** An HTTP API's function, with the route keys it answers (checked against the service's declared routes). */
export interface HttpApi extends HttpApiHandler {
  readonly routeKeys: readonly string[];
}

export interface ApiRequest {
  readonly routeKey: string;
  /** The caller's tenant (from the bearer token); '' on public routes. */
  readonly tenantId: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly requestId: string;
  readonly logger: Logger;
}

export type RouteHandler = (request: ApiRequest) => Promise<ApiResponse>;
export type RouteDefinition = RouteHandler | { readonly handler: RouteHandler; readonly public: true };

/** An error the API answers with its status and a JSON body `{ error: { code, message, details? } }`. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Headers of the answer besides the JSON body's, e.g. `retry-after` of a 429 or a 503. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(body) };
}

export function errorResponse(error: HttpError): ApiResponse {
  const headers: Record<string, string> = { ...(error.statusCode === 401 ? { 'www-authenticate': 'Bearer' } : {}), ...error.headers };
  return json(
    error.statusCode,
    { error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) } },
    headers,
  );
}

export interface HttpApiOptions {
  readonly logger: Logger;
  readonly tokens: TokenRegistry;
  /** Keyed by API Gateway route key, e.g. `GET /jobs/{id}`. */
  readonly routes: Readonly<Record<string, RouteDefinition>>;
}

/**
 * An API Gateway HTTP API (payload v2) handler: routes by `routeKey`, authenticates the bearer token (401 when missing
 * or wrong), and turns HttpErrors into JSON answers. Anything else is a 500 that names the request id, never a stack.
 */
export function createHttpApi(options: HttpApiOptions): HttpApi {
  const handler = async (event: APIGatewayProxyEventV2, context: Context): Promise<ApiResponse> => {
    const requestId = event.requestContext?.requestId ?? context.awsRequestId;
    const logger = options.logger.child({ requestId, routeKey: event.routeKey });
    try {
      const route = options.routes[event.routeKey];
      if (!route) throw new HttpError(404, 'not_found', `no route for ${event.routeKey}`);
      const headers = lowerCaseHeaders(event.headers);
      const isPublic = typeof route !== 'function';
      const tenantId = isPublic ? '' : options.tokens.tenantFor(headers.authorization);
      if (tenantId === undefined) {
        throw new HttpError(
          401,
          'unauthorized',
          headers.authorization ? 'the bearer token is not valid' : 'missing bearer token (Authorization: Bearer TOKEN)',
        );
      }
      const handler = typeof route === 'function' ? route : route.handler;
      return await handler({
        routeKey: event.routeKey,
        tenantId,
        pathParameters: (event.pathParameters ?? {}) as Record<string, string>,
        query: (event.queryStringParameters ?? {}) as Record<string, string>,
        headers,
        body: event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8'),
        requestId,
        logger: logger.child({ tenantId }),
      });
    } catch (error) {
      if (error instanceof HttpError) {
        if (error.statusCode >= 500) logger.error({ err: error }, 'request failed');
        return errorResponse(error);
      }
      // The machine's storage is full or read-only (the platform logs that once): say so — the message names the place
      // and what to do — and when to try again, instead of an opaque 500.
      const fault = machineFaultOf(error);
      if (fault) {
        logger.warn({ err: error, machineFault: true }, 'request failed on a fault of the machine');
        return errorResponse(
          new HttpError(503, 'storage_unavailable', fault.message, undefined, { 'retry-after': String(MACHINE_FAULT_RETRY_AFTER_SECONDS) }),
        );
      }
      logger.error({ err: error }, 'request failed');
      return errorResponse(new HttpError(500, 'internal', `internal error; quote request id ${requestId}`));
    }
  };
  return Object.assign(handler, { routeKeys: Object.keys(options.routes) });
}

function lowerCaseHeaders(headers: APIGatewayProxyEventV2['headers'] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) result[name.toLowerCase()] = value;
  }
  return result;
}

/** Parses a JSON request body or answers 400 with what is wrong. */
export function parseJsonBody(request: ApiRequest): unknown {
  if (request.body.length === 0) throw new HttpError(400, 'invalid_body', 'the request body is empty; expected JSON');
  try {
    return JSON.parse(request.body.toString('utf8'));
  } catch (error) {
    throw new HttpError(400, 'invalid_body', `the request body is not valid JSON: ${(error as Error).message}`);
  }
}
