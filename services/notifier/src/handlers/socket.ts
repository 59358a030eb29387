import type { WebSocketEvent, WebSocketHandler, WebSocketResult } from '@refinery/runtime';
import type { NotifierDeps } from '../config';
import { JobViewStore } from '../domain/job-views';
import { BEARER_SUBPROTOCOL_PREFIX, encodeServerMessage, parseClientMessage, type ServerMessage, SOCKET_SUBPROTOCOL } from '../domain/live-messages';
import { ConnectionRegistry } from '../domain/socket-connections';

const OK: WebSocketResult = { statusCode: 200 };

/**
 * The WebSocket API of live job updates ($connect, $disconnect, $default):
 * - $connect authenticates with the HTTP API's tokens (`Authorization: Bearer TOKEN`, or the subprotocols
 *   `refinery.v1` + `bearer.TOKEN` for browsers, answered with `refinery.v1`), refuses with 401 otherwise, and registers
 *   the connection for its tenant. It cannot send anything (API Gateway opens the connection only after it returns):
 *   clients ask with `sync` first.
 * - $default answers `sync` (the tenant's recent jobs), `watch` (one job; another tenant's is not found) and `ping`.
 * - $disconnect forgets the connection.
 */
export function createSocketHandler(deps: NotifierDeps): WebSocketHandler {
  const connections = new ConnectionRegistry(deps.subscriptions, deps.sockets, deps.clock);
  const views = new JobViewStore(deps.subscriptions);

  const connect = async (event: WebSocketEvent): Promise<WebSocketResult> => {
    const headers = lowerCaseHeaders(event.headers);
    const offered = (headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const bearer = offered.find((p) => p.startsWith(BEARER_SUBPROTOCOL_PREFIX))?.slice(BEARER_SUBPROTOCOL_PREFIX.length);
    const authorization = headers.authorization ?? (bearer ? `Bearer ${bearer}` : undefined);
    const tenantId = deps.tokens.tenantFor(authorization);
    if (tenantId === undefined) {
      return refusal(
        401,
        'unauthorized',
        authorization
          ? 'the bearer token is not valid'
          : `missing bearer token (Authorization: Bearer TOKEN, or the subprotocol ${BEARER_SUBPROTOCOL_PREFIX}TOKEN)`,
      );
    }
    if (offered.length > 0 && !offered.includes(SOCKET_SUBPROTOCOL)) {
      return refusal(400, 'bad_request', `offer the subprotocol ${SOCKET_SUBPROTOCOL}`);
    }
    const { connectionId } = event.requestContext;
    await connections.add({ connectionId, tenantId, connectedAt: deps.clock.now().toISOString() });
    deps.logger.info({ connectionId, tenantId }, 'socket connected');
    return offered.length > 0 ? { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': SOCKET_SUBPROTOCOL } } : OK;
  };

  const answer = async (_connectionId: string, tenantId: string | undefined, body: string | undefined): Promise<ServerMessage> => {
    if (tenantId === undefined) return { type: 'error', code: 'unauthorized', message: 'this connection is not registered; connect again' };
    const parsed = parseClientMessage(body);
    if (!parsed.ok) return { type: 'error', code: 'bad_request', message: parsed.problem };
    const { message } = parsed;
    switch (message.action) {
      case 'sync':
        return { type: 'jobs', jobs: await views.recent(tenantId) };
      case 'watch': {
        const job = await views.get(tenantId, message.jobId);
        return job ? { type: 'job', job } : { type: 'error', code: 'not_found', message: `no job ${message.jobId}` };
      }
      case 'ping':
        return { type: 'pong' };
    }
  };

  const receive = async (event: WebSocketEvent): Promise<WebSocketResult> => {
    const { connectionId } = event.requestContext;
    const body = event.isBase64Encoded && event.body !== undefined ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    const reply = await answer(connectionId, await connections.tenantOf(connectionId), body);
    await connections.send(connectionId, encodeServerMessage(reply));
    return OK;
  };

  return async (event) => {
    const { eventType, connectionId, routeKey } = event.requestContext;
    try {
      if (eventType === 'CONNECT') return await connect(event);
      if (eventType === 'DISCONNECT') {
        await connections.remove(connectionId);
        deps.logger.info({ connectionId }, 'socket disconnected');
        return OK;
      }
      return await receive(event);
    } catch (error) {
      deps.logger.error({ err: error, connectionId, routeKey }, 'socket request failed');
      if (eventType === 'CONNECT') return refusal(500, 'internal', `internal error; quote request id ${event.requestContext.requestId}`);
      throw error;
    }
  };
}

function refusal(statusCode: number, code: string, message: string): WebSocketResult {
  return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ error: { code, message } }) };
}

function lowerCaseHeaders(headers: WebSocketEvent['headers']): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) result[name.toLowerCase()] = value;
  }
  return result;
}
