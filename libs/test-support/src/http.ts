import type { WebSocketEvent } from '@refinery/runtime';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface ApiEventInput {
  readonly routeKey: string;
  readonly path?: string;
  readonly pathParameters?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly token?: string;
}

/** An API Gateway HTTP API (payload v2) event, as the gateway would hand it to the function. */
export function apiEvent(input: ApiEventInput): APIGatewayProxyEventV2 {
  const [method, template] = input.routeKey.split(' ') as [string, string];
  const path = input.path ?? template.replace(/\{(\w+)\}/g, (_, name: string) => input.pathParameters?.[name] ?? name);
  const headers: Record<string, string> = { ...(input.token ? { authorization: `Bearer ${input.token}` } : {}), ...input.headers };
  const body = input.body === undefined ? undefined : Buffer.from(input.body);
  return {
    version: '2.0',
    routeKey: input.routeKey,
    rawPath: path,
    rawQueryString: new URLSearchParams(input.query ?? {}).toString(),
    headers,
    ...(input.query ? { queryStringParameters: input.query } : {}),
    ...(input.pathParameters ? { pathParameters: input.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'api.test',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
      requestId: 'request-1',
      routeKey: input.routeKey,
      stage: '$default',
      time: '28/Nov/2026:12:00:00 +0000',
      timeEpoch: 1795880000000,
    },
    ...(body ? { body: body.toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
  };
}

/** An API Gateway WebSocket API event ($connect, $default, $disconnect), as the gateway would hand it to the function. */
export function socketEvent(
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT',
  connectionId: string,
  input: { headers?: Record<string, string>; body?: string } = {},
): WebSocketEvent {
  const routeKey = { CONNECT: '$connect', MESSAGE: '$default', DISCONNECT: '$disconnect' }[eventType];
  return {
    ...(input.headers ? { headers: input.headers } : {}),
    ...(input.body !== undefined ? { body: input.body } : {}),
    isBase64Encoded: false,
    requestContext: {
      routeKey,
      eventType,
      connectionId,
      ...(eventType === 'MESSAGE' ? { messageId: 'message-1' } : {}),
      messageDirection: 'IN',
      extendedRequestId: 'request-1',
      requestId: 'request-1',
      requestTime: '28/Nov/2026:12:00:00 +0000',
      requestTimeEpoch: 1795880000000,
      connectedAt: 1795880000000,
      domainName: 'socket.test',
      stage: 'test',
      apiId: 'test',
    },
  };
}
