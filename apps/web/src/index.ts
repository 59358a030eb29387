import { createReadStream, promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import type { ExtraRequestHandler } from '@refinery/local-runtime';

/** The static files: index.html and app/ (plain ES modules and CSS, no build step). */
export const WEB_PUBLIC_DIR = resolve(__dirname, '..', 'public');

/** What the page reads from `config.json` before anything else. */
export interface WebConfig {
  /** Where the HTTP API is; '' = the page's own origin. */
  readonly apiBaseUrl: string;
  /** The notifier's HTTP API (/subscriptions) when it has a URL of its own (AWS without one host); default apiBaseUrl. */
  readonly notifierBaseUrl?: string;
  /** The WebSocket endpoint (`ws://HOST/socket` locally, `wss://...execute-api.../STAGE` on AWS). */
  readonly socketUrl: string;
  /** Files at least this large are uploaded in parts (multipart); default 64 MiB. */
  readonly multipartThresholdBytes?: number;
}

export interface WebAppOptions {
  /** Another folder of static files (tests); default: this package's public/. */
  readonly publicDir?: string;
  /**
   * Origins the page may talk to besides its own, added to the CSP's connect-src (an HTTP API or an upload bucket
   * served elsewhere). WebSocket schemes (ws:, wss:) are always allowed.
   */
  readonly apiOrigins?: readonly string[];
  /** Overrides the config computed from the request (the default: same-origin API, socket at /socket). */
  readonly config?: (request: IncomingMessage) => WebConfig;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The Content-Security-Policy of every page response: scripts, styles and images only from the page's origin (no
 * inline script or style, no eval), requests only to it, the WebSocket and the configured API origins.
 */
export function contentSecurityPolicy(apiOrigins: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'none'",
    ['connect-src', "'self'", 'ws:', 'wss:', ...apiOrigins].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** `config.json` for a page served by `refinery dev`: the API on the same origin, the socket at /socket. */
export function configFromRequest(request: IncomingMessage): WebConfig {
  const host = request.headers.host ?? '';
  // The Host header is the client's word: only a plain host[:port] goes into a URL.
  const safeHost = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host) ? host : `127.0.0.1:${request.socket.localPort ?? 8080}`;
  const secure = (request.headers['x-forwarded-proto'] ?? '').toString().split(',')[0]?.trim() === 'https';
  return { apiBaseUrl: '', socketUrl: `${secure ? 'wss' : 'ws'}://${safeHost}/socket` };
}

/**
 * Serves the web page beside the API (LocalHttpGateway.use): GET `/` (index.html), `/app/...` (its modules and
 * styles) and `/config.json`. Every other request answers false, so the API routes still get it.
 */
export function webAppHandler(options: WebAppOptions = {}): ExtraRequestHandler {
  const root = resolve(options.publicDir ?? WEB_PUBLIC_DIR);
  const appDir = join(root, 'app');
  const csp = contentSecurityPolicy(options.apiOrigins);
  const config = options.config ?? configFromRequest;

  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const method = request.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') return false;
    const pathname = new URL(request.url ?? '/', 'http://local').pathname;
    if (pathname === '/' || pathname === '/index.html') {
      await sendFile(request, response, join(root, 'index.html'), csp);
      return true;
    }
    if (pathname === '/config.json') {
      const body = JSON.stringify(config(request));
      response.writeHead(200, {
        'content-type': CONTENT_TYPES['.json'] as string,
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      response.end(method === 'HEAD' ? undefined : body);
      return true;
    }
    if (pathname.startsWith('/app/')) {
      const file = assetPath(appDir, pathname.slice('/app/'.length));
      if (!file) {
        sendText(response, 404, 'not found');
        return true;
      }
      await sendFile(request, response, file, csp);
      return true;
    }
    return false;
  };
}

/** The file a path under /app/ names, or undefined when it would leave the folder or has no known type. */
function assetPath(appDir: string, relativePath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(relativePath);
  } catch {
    return undefined;
  }
  const segments = decoded.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..' || segment.includes('\\') || segment.includes('\0')))
    return undefined;
  if (!CONTENT_TYPES[extname(decoded).toLowerCase()]) return undefined;
  const file = resolve(appDir, ...segments);
  return file.startsWith(appDir + sep) ? file : undefined;
}

async function sendFile(request: IncomingMessage, response: ServerResponse, file: string, csp: string): Promise<void> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat?.isFile()) return sendText(response, 404, 'not found');
  response.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': stat.size,
    // Small files, no build step and no hashed names: revalidate each time (the local server answers at once).
    'cache-control': 'no-cache',
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  await new Promise<void>((resolveSent, reject) => {
    const stream = createReadStream(file);
    stream.on('error', reject);
    response.on('finish', () => resolveSent());
    response.on('close', () => resolveSent());
    stream.pipe(response);
  });
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    'content-type': CONTENT_TYPES['.txt'] as string,
    'content-length': Buffer.byteLength(text),
    'x-content-type-options': 'nosniff',
  });
  response.end(text);
}
