import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../support/app';
import { REPO_ROOT, runCli } from '../support/cli';

// `refinery enrich` above its multipart threshold: the book goes up in parts, a few at a time, through a proxy in front
// of the storage URLs that breaks connections mid-part. A part whose connection breaks is sent again and the result is
// the single-PUT job's; a run that dies part-way is resumed by running the same command again, which sends only the
// parts storage lacks.

const BOOK = join(REPO_ROOT, 'examples', 'contacts.csv');
const PART_BYTES = 8192;
const PART_COUNT = Math.ceil(readFileSync(BOOK).length / PART_BYTES);
const TOKEN = 'token-acme-0001';
const PART_REQUEST = /PUT \/_objects\/[^ ]*X-Refinery-Part-Number=(\d+)/g;

/**
 * A TCP proxy to the app that sees every request line sent through it: it counts part PUTs by part number, and
 * breaks (destroys both sockets of) a connection as a part's request starts when `shouldBreak` says so.
 */
interface BreakingProxy {
  readonly url: string;
  readonly sent: number[];
  shouldBreak: (partNumber: number, attempt: number) => boolean;
  close(): Promise<void>;
}

async function startProxy(targetPort: number): Promise<BreakingProxy> {
  const sockets = new Set<Socket>();
  const proxy: BreakingProxy = { url: '', sent: [], shouldBreak: () => false, close: async () => undefined };
  const server: Server = createServer((client) => {
    const upstream = createConnection(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => {
      // Node writes a request's head in one piece, so a request line is never split between two chunks (bodies are CSV).
      let broken = false;
      for (const match of chunk.toString('latin1').matchAll(PART_REQUEST)) {
        const partNumber = Number(match[1]);
        proxy.sent.push(partNumber);
        if (proxy.shouldBreak(partNumber, proxy.sent.filter((n) => n === partNumber).length)) broken = true;
      }
      if (broken) {
        // Half the request reaches the server, then the connection is gone for both ends.
        upstream.write(chunk.subarray(0, chunk.length >> 1), () => {
          upstream.destroy();
          client.destroy();
        });
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

describe('refinery enrich above the multipart threshold', () => {
  let t: TestApp;
  let proxy: BreakingProxy;
  let dir: string;
  beforeAll(async () => {
    t = await startTestApp({ directory: join(REPO_ROOT, 'examples', 'directory.csv'), settings: { ingest: { minUploadPartBytes: PART_BYTES } } });
    proxy = await startProxy(Number(new URL(t.app.url).port));
    // Storage URLs (presigned PUTs of parts) point at the proxy; the API is reached directly.
    t.app.runtime.setPublicBaseUrl(proxy.url);
    dir = await mkdtemp(join(tmpdir(), 'refinery-multipart-'));
  }, 60_000);
  afterAll(async () => {
    await proxy.close();
    await t.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function enrich(out: string, extra: readonly string[]) {
    return runCli(['enrich', BOOK, '--out', join(dir, out), '--api', t.app.url, '--token', TOKEN, ...extra]).done;
  }

  it('uploads in parts, sends again the part whose connection broke, and gets the same result as one PUT', async () => {
    expect(PART_COUNT).toBeGreaterThanOrEqual(4);
    proxy.sent.length = 0;
    proxy.shouldBreak = (partNumber, attempt) => partNumber === 2 && attempt === 1;
    const inParts = await enrich('parts.csv', ['--multipart-threshold', '1000', '--chunk-rows', '40']);
    expect(inParts.stderr).not.toContain('refinery: error');
    expect(inParts.code).toBe(0);
    const counts = countBy(proxy.sent);
    expect(counts.get(2)).toBe(2);
    for (let n = 1; n <= PART_COUNT; n += 1) if (n !== 2) expect(counts.get(n)).toBe(1);

    proxy.sent.length = 0;
    const single = await enrich('single.csv', ['--chunk-rows', '40']);
    expect(single.code).toBe(0);
    expect(proxy.sent).toEqual([]);
    expect(readFileSync(join(dir, 'parts.csv'), 'utf8')).toBe(readFileSync(join(dir, 'single.csv'), 'utf8'));
  }, 180_000);

  it('resumes a run that died part-way: the same command sends only the parts storage lacks', async () => {
    const uploadedFirst = 2;
    proxy.sent.length = 0;
    // Every part past the first two breaks, every time: the run gives up after its retries.
    proxy.shouldBreak = (partNumber) => partNumber > uploadedFirst;
    const died = await enrich('resumed.csv', ['--multipart-threshold', '1000', '--chunk-rows', '50']);
    expect(died.code).not.toBe(0);
    expect(died.stderr).toMatch(/could not be uploaded after 5 attempts/);

    proxy.sent.length = 0;
    proxy.shouldBreak = () => false;
    const resumed = await enrich('resumed.csv', ['--multipart-threshold', '1000', '--chunk-rows', '50']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`upload resumed: ${uploadedFirst} of ${PART_COUNT} parts were uploaded already`);
    expect([...proxy.sent].sort((a, b) => a - b)).toEqual(Array.from({ length: PART_COUNT - uploadedFirst }, (_, i) => uploadedFirst + 1 + i));
    const lines = readFileSync(join(dir, 'resumed.csv'), 'utf8').trim().split('\n');
    expect(lines.length).toBe(readFileSync(BOOK, 'utf8').trim().split('\n').length);
  }, 180_000);
});

function countBy(values: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}
