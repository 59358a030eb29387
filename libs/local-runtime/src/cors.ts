import type { IncomingMessage, ServerResponse } from 'node:http';

// CORS as the AWS side answers it, so a page served from another origin (the web page as static files on S3 +
// CloudFront) works against the local mode exactly as against the deployed APIs, and fails where they would fail.

export interface CorsRule {
  readonly origins: readonly string[];
  readonly methods: readonly string[];
  /** Request headers a cross-origin request may send (compared case-insensitively). */
  readonly headers: readonly string[];
  /** Response headers a cross-origin page may read. */
  readonly exposeHeaders?: readonly string[];
  readonly maxAgeSeconds?: number;
}

/** Every HTTP API's CORS on AWS: `httpApi.cors: true` in each serverless.yml, i.e. Serverless Framework 3's defaults. */
export const HTTP_API_CORS: CorsRule = {
  origins: ['*'],
  methods: ['OPTIONS', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
  headers: ['Content-Type', 'X-Amz-Date', 'Authorization', 'X-Api-Key', 'X-Amz-Security-Token', 'X-Amz-User-Agent', 'X-Amzn-Trace-Id'],
};

/** The uploads bucket's CORS rule (services/ingest/serverless.yml, param `webOrigin`, default '*'): presigned PUTs. */
export const UPLOADS_CORS: CorsRule = {
  origins: ['*'],
  methods: ['PUT'],
  headers: ['content-type', 'if-none-match'],
  exposeHeaders: ['etag'],
  maxAgeSeconds: 3000,
};

/**
 * Answers a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method): 204 with the allowed method and
 * headers when the rule allows the request, 403 without any CORS header when it does not (the browser then refuses
 * the request, as it would on AWS). Returns false for any other request.
 */
export function answerPreflight(request: IncomingMessage, response: ServerResponse, rule: CorsRule): boolean {
  const origin = request.headers.origin;
  const method = request.headers['access-control-request-method'];
  if (request.method !== 'OPTIONS' || !origin || !method) return false;
  const requested = (request.headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const allowedHeaders = new Set(rule.headers.map((name) => name.toLowerCase()));
  const allowed = originAllowed(rule, origin) && rule.methods.includes(method.toUpperCase()) && requested.every((name) => allowedHeaders.has(name));
  if (!allowed) {
    response.writeHead(403, { 'content-length': '0' });
    response.end();
    return true;
  }
  response.writeHead(204, {
    'access-control-allow-origin': rule.origins.includes('*') ? '*' : origin,
    'access-control-allow-methods': rule.methods.join(','),
    'access-control-allow-headers': rule.headers.join(','),
    ...(rule.maxAgeSeconds !== undefined ? { 'access-control-max-age': String(rule.maxAgeSeconds) } : {}),
    vary: 'Origin',
  });
  response.end();
  return true;
}

/** The CORS headers of an actual (not preflight) response to a cross-origin request the rule allows. */
export function setCorsHeaders(request: IncomingMessage, response: ServerResponse, rule: CorsRule): void {
  const origin = request.headers.origin;
  if (!origin || !originAllowed(rule, origin)) return;
  response.setHeader('access-control-allow-origin', rule.origins.includes('*') ? '*' : origin);
  if (rule.exposeHeaders?.length) response.setHeader('access-control-expose-headers', rule.exposeHeaders.join(','));
  response.setHeader('vary', 'Origin');
}

function originAllowed(rule: CorsRule, origin: string): boolean {
  return rule.origins.includes('*') || rule.origins.includes(origin);
}
