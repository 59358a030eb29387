import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { contentSecurityPolicy, WEB_PUBLIC_DIR, type WebAppOptions, webAppHandler } from '../src/index';

// The handler serves the page, its modules and config.json, and passes everything else on to the API routes.

async function serve(options?: WebAppOptions): Promise<{ url: string; server: Server }> {
  const handler = webAppHandler(options);
  const server = createServer((request, response) => {
    void handler(request, response).then((handled) => {
      if (!handled) {
        response.writeHead(418, { 'content-type': 'text/plain' });
        response.end('passed on');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A GET with the path exactly as given (fetch would resolve the dot segments first). */
function rawStatus(base: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${base}/`, { path }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('webAppHandler', () => {
  let url: string;
  let server: Server;
  beforeAll(async () => ({ url, server } = await serve()));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('serves index.html at / with a strict Content-Security-Policy', async () => {
    const response = await fetch(`${url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("connect-src 'self' ws: wss:");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain('<script type="module" src="app/main.js"></script>');
  });

  it('serves the modules, styles and icon with their content types', async () => {
    for (const [path, type] of [
      ['/app/main.js', 'text/javascript; charset=utf-8'],
      ['/app/views/job.js', 'text/javascript; charset=utf-8'],
      ['/app/styles.css', 'text/css; charset=utf-8'],
      ['/app/icon.svg', 'image/svg+xml'],
    ] as const) {
      const response = await fetch(`${url}${path}`);
      expect({ path, status: response.status, type: response.headers.get('content-type') }).toEqual({ path, status: 200, type });
      expect(await response.text()).toBe(readFileSync(join(WEB_PUBLIC_DIR, path.slice(1)), 'utf8'));
    }
    const head = await fetch(`${url}/app/main.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('answers 404 for missing or escaping /app/ paths, and never serves files outside public/app', async () => {
    for (const path of [
      '/app/nope.js',
      '/app/../src/index.ts',
      '/app/%2e%2e/%2e%2e/package.json',
      '/app/..%2f..%2fpackage.json',
      '/app/views/',
      '/app/main.ts',
    ]) {
      // 404 from the handler, or (once the URL's dot segments are resolved: /src/index.ts) passed on to the API.
      expect({ path, served: (await rawStatus(url, path)) === 200 }).toEqual({ path, served: false });
    }
  });

  it('computes config.json from the request host', async () => {
    const response = await fetch(`${url}/config.json`);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.json()).toEqual({ apiBaseUrl: '', socketUrl: `ws://${new URL(url).host}/socket` });
    const forwarded = await fetch(`${url}/config.json`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(await forwarded.json()).toEqual({ apiBaseUrl: '', socketUrl: `wss://${new URL(url).host}/socket` });
  });

  it('passes every other request on (the API routes answer them)', async () => {
    for (const [method, path] of [
      ['GET', '/jobs'],
      ['GET', '/jobs/job_1'],
      ['POST', '/'],
      ['GET', '/health'],
      ['GET', '/socket'],
      ['GET', '/favicon.ico'],
    ] as const) {
      const response = await fetch(`${url}${path}`, { method });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 418 });
    }
  });

  it('adds configured API origins to connect-src', () => {
    expect(contentSecurityPolicy(['https://api.example.com'])).toContain("connect-src 'self' ws: wss: https://api.example.com;");
  });

  it('has no inline script or style, no external URL and no innerHTML in the static files', () => {
    const offences: string[] = [];
    for (const file of filesUnder(WEB_PUBLIC_DIR)) {
      const text = readFileSync(file, 'utf8');
      const name = relative(WEB_PUBLIC_DIR, file);
      if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(text)) offences.push(`${name}: inline script`);
      if (/<style|\sstyle=/i.test(text)) offences.push(`${name}: inline style`);
      if (/\bon[a-z]+=\s*["']/i.test(text) && name.endsWith('.html')) offences.push(`${name}: inline handler`);
      if (/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/.test(text)) offences.push(`${name}: HTML from strings`);
      if (/(?:src|href)=["']?(?:https?:)?\/\//i.test(text) || /@import|url\(\s*["']?https?:/i.test(text)) offences.push(`${name}: external resource`);
    }
    expect(offences).toEqual([]);
  });

  it("type-checks the page's modules from their JSDoc (apps/web/jsconfig.json)", () => {
    const root = join(__dirname, '..', '..', '..');
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(__dirname, '..', 'jsconfig.json')], {
      encoding: 'utf8',
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});
