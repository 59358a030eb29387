import type { IncomingMessage } from 'node:http';
import type { ExtraRequestHandler } from './http-gateway';
import { type LocalMetrics, PROMETHEUS_CONTENT_TYPE } from './local-metrics';

export interface MetricsEndpointOptions {
  /** Whether an `Authorization` header carries a valid API bearer token (any tenant's). */
  readonly tokenValid: (authorization: string | undefined) => boolean;
}

/**
 * `GET /metrics`: the local registry in the Prometheus text format. Allowed to a client on this machine (a loopback
 * address) or to one that shows a valid API bearer token; refused with 403 otherwise — `refinery dev --host 0.0.0.0`
 * must not show every caller on the network the system's state. A request a browser sends for a page of another
 * origin (an `Origin` header) needs the token even from loopback, so a web page the developer visits cannot read it.
 */
export function metricsEndpoint(metrics: LocalMetrics, options: MetricsEndpointOptions): ExtraRequestHandler {
  return async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://local').pathname;
    if (path !== '/metrics') return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: `${request.method} /metrics: only GET is served` }));
      return true;
    }
    if (!metricsAccessAllowed(request, options)) {
      response.writeHead(403, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          message: '/metrics is served to clients on this machine (loopback) or with a valid API token (Authorization: Bearer <token>)',
        }),
      );
      return true;
    }
    const body = await metrics.render();
    response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : body);
    return true;
  };
}

/** The access rule of `/metrics`: a valid token, or a loopback client whose request is not a cross-origin browser's. */
export function metricsAccessAllowed(
  request: Pick<IncomingMessage, 'headers'> & { readonly socket: { readonly remoteAddress?: string | undefined } },
  options: MetricsEndpointOptions,
): boolean {
  if (options.tokenValid(request.headers.authorization)) return true;
  return isLoopbackAddress(request.socket.remoteAddress) && request.headers.origin === undefined;
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (`::ffff:127.0.0.1`, what a dual-stack listener reports). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === '::1';
}
