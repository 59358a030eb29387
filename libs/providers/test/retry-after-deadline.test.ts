import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isProviderUnavailable, ProviderHttpClient, ProviderUnavailableError } from '../src';

// A real provider on 127.0.0.1 answering 429 with a Retry-After, then 200: the client sits the Retry-After out when the
// caller's deadline allows it, and otherwise fails at once with retryAfterMs so the queue brings the work back then.

interface FakeProvider {
  readonly origin: string;
  readonly arrivals: number[];
  close(): Promise<void>;
}

async function startProvider(retryAfter: () => string): Promise<FakeProvider> {
  const arrivals: number[] = [];
  const server: Server = createServer((request, response) => {
    arrivals.push(Date.now());
    request.resume();
    if (arrivals.length === 1) {
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': retryAfter() }).end('{"error":"slow down"}');
    } else {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    arrivals,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

function client(): ProviderHttpClient {
  // random 0: the backoff alone would retry at once, so any wait measured is the Retry-After's.
  return new ProviderHttpClient({ provider: 'retry-after-provider', settings: { maxAttempts: 3 }, random: () => 0 });
}

describe('a 429 with Retry-After, within the caller deadline', () => {
  let provider: FakeProvider | undefined;
  afterEach(async () => {
    await provider?.close();
    provider = undefined;
  });

  it('waits Retry-After: 1 (seconds) and returns the 200 that follows', async () => {
    provider = await startProvider(() => '1');
    const answer = await client().request({ url: `${provider.origin}/people`, deadline: Date.now() + 10_000 });
    expect(answer.status).toBe(200);
    expect(provider.arrivals).toHaveLength(2);
    expect((provider.arrivals[1] as number) - (provider.arrivals[0] as number)).toBeGreaterThanOrEqual(990);
  });

  it('waits until a Retry-After HTTP date', async () => {
    // HTTP dates have whole seconds: two seconds ahead is at least one second of waiting.
    provider = await startProvider(() => new Date(Date.now() + 2000).toUTCString());
    const answer = await client().request({ url: `${provider.origin}/people`, deadline: Date.now() + 10_000 });
    expect(answer.status).toBe(200);
    expect(provider.arrivals).toHaveLength(2);
    expect((provider.arrivals[1] as number) - (provider.arrivals[0] as number)).toBeGreaterThanOrEqual(990);
  });

  it('fails at once with retryAfterMs when Retry-After is longer than what is left before the deadline', async () => {
    provider = await startProvider(() => '30');
    const started = Date.now();
    const error = await client()
      .request({ url: `${provider.origin}/people`, deadline: started + 2000 })
      .catch((caught: unknown) => caught);
    expect(isProviderUnavailable(error)).toBe(true);
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as ProviderUnavailableError).retryAfterMs).toBe(30_000);
    expect((error as Error).message).toMatch(/waiting 30000 ms, more than the \d+ ms left before the caller's deadline/u);
    // Not sat out, not asked again.
    expect(Date.now() - started).toBeLessThan(1500);
    expect(provider.arrivals).toHaveLength(1);
  });
});
