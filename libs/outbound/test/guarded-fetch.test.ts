import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ALLOW_PRIVATE_DESTINATIONS_ENV,
  createGuardedDispatcher,
  createGuardedLookup,
  DestinationRefusedError,
  fetchPublic,
  type ResolvedAddress,
  type ResolveHost,
} from '../src';

/** A real HTTP server on 127.0.0.1 that counts the connections it accepts and records the requests it gets. */
class LoopbackServer {
  connections = 0;
  readonly requests: IncomingMessage[] = [];
  private constructor(readonly server: Server) {
    server.on('connection', () => {
      this.connections += 1;
    });
  }

  static async start(answer: (request: IncomingMessage) => { status: number; headers?: Record<string, string> } = () => ({ status: 204 })) {
    let self: LoopbackServer | undefined;
    const server = createServer((request, response) => {
      self?.requests.push(request);
      const { status, headers } = answer(request);
      // One connection per request, so each request needs a new connection (and a new lookup).
      response.writeHead(status, { connection: 'close', ...headers }).end();
    });
    self = new LoopbackServer(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/', host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A resolver that answers from a script, one answer per call (the last one repeats), and counts the calls. */
function scriptedResolver(...answers: (readonly string[])[]): ResolveHost & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string): Promise<readonly ResolvedAddress[]> => {
    const answer = answers[Math.min(calls.length, answers.length - 1)] ?? [];
    calls.push(hostname);
    return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

const saved = process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
let server: LoopbackServer;
beforeEach(async () => {
  delete process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
  server = await LoopbackServer.start();
});
afterEach(async () => {
  await server.close();
});
afterAll(() => {
  if (saved === undefined) delete process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
  else process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = saved;
});

describe('fetchPublic', () => {
  it('never reaches a server on 127.0.0.1 without REFINERY_ALLOW_PRIVATE_DESTINATIONS, and does with it', async () => {
    for (const url of [
      server.url('/hook'),
      server.url('/hook', 'localhost'),
      `http://2130706433:${server.port}/hook`,
      `http://0x7f.1:${server.port}/`,
    ]) {
      await expect(fetchPublic(url, { method: 'POST', body: '{}' })).rejects.toThrow(DestinationRefusedError);
    }
    expect(server.connections).toBe(0);

    process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = '1';
    const response = await fetchPublic(server.url('/hook'), { method: 'POST', body: '{}' });
    expect(response.status).toBe(204);
    expect(server.requests.map((request) => `${request.method} ${request.url}`)).toEqual(['POST /hook']);
  });

  it('checks every connection, not only the URL: a literal address refused by the dispatcher itself', async () => {
    // The URL check is skipped by asking the dispatcher directly (as undici would for a redirect's or a retry's connection).
    const dispatcher = createGuardedDispatcher();
    try {
      const request = dispatcher.request({ origin: server.url(), path: '/', method: 'GET' });
      await expect(request).rejects.toMatchObject({ name: 'DestinationRefusedError', cause: { reason: 'loopback address' } });
      expect(server.connections).toBe(0);
    } finally {
      await dispatcher.close();
    }
  });

  it('refuses a host name that resolves to a loopback address, without connecting and without saying the address', async () => {
    const resolve = scriptedResolver(['127.0.0.1']);
    const dispatcher = createGuardedDispatcher({ resolve });
    try {
      const attempt = fetchPublic(server.url('/', 'hooks.example.com'), {}, { dispatcher });
      await expect(attempt).rejects.toThrow(
        'destination refused: hooks.example.com resolves to a loopback address; only public addresses may be reached',
      );
      await expect(fetchPublic(server.url('/', 'hooks.example.com'), {}, { dispatcher })).rejects.not.toThrow('127.0.0.1');
      expect(resolve.calls).toEqual(['hooks.example.com', 'hooks.example.com']);
      expect(server.connections).toBe(0);
    } finally {
      await dispatcher.close();
    }
  });

  it('refuses when any one of the addresses a name has is not public', async () => {
    const resolve = scriptedResolver(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c', '127.0.0.1']);
    const dispatcher = createGuardedDispatcher({ resolve });
    try {
      await expect(fetchPublic(server.url('/', 'mixed.example.com'), {}, { dispatcher })).rejects.toMatchObject({ reason: 'loopback address' });
      expect(server.connections).toBe(0);
    } finally {
      await dispatcher.close();
    }
  });

  it('resolves and judges again at every connection: what a name resolves to now is what is checked', async () => {
    process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = '1';
    const resolve = scriptedResolver(['127.0.0.1']);
    const dispatcher = createGuardedDispatcher({ resolve });
    try {
      // The server closes each connection: two requests, two connections, two look-ups.
      expect((await fetchPublic(server.url('/1', 'rebind.example.com'), {}, { dispatcher })).status).toBe(204);
      expect((await fetchPublic(server.url('/2', 'rebind.example.com'), {}, { dispatcher })).status).toBe(204);
      expect(resolve.calls).toHaveLength(2);
      expect(server.connections).toBe(2);

      delete process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
      await expect(fetchPublic(server.url('/3', 'rebind.example.com'), {}, { dispatcher })).rejects.toMatchObject({ reason: 'loopback address' });
      expect(resolve.calls).toHaveLength(3);
      expect(server.connections).toBe(2);
    } finally {
      await dispatcher.close();
    }
  });

  it('never follows a redirect: the 3xx answer is returned as it is', async () => {
    process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = '1';
    const target = await LoopbackServer.start();
    const redirecting = await LoopbackServer.start(() => ({ status: 302, headers: { location: target.url('/internal') } }));
    try {
      const response = await fetchPublic(redirecting.url('/hook'), { method: 'POST', body: '{}', redirect: 'follow' });
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe(target.url('/internal'));
      expect(target.connections).toBe(0);
    } finally {
      await Promise.all([target.close(), redirecting.close()]);
    }
  });

  it('gives up connecting after connectTimeoutMs (a name that takes forever to resolve included)', async () => {
    const dispatcher = createGuardedDispatcher({ resolve: () => new Promise<never>(() => undefined), connectTimeoutMs: 200 });
    const started = Date.now();
    try {
      const failure = await fetchPublic('https://slow.example.com/', {}, { dispatcher }).catch((error: Error) => error);
      expect((failure as Error & { cause?: { code?: string } }).cause?.code).toBe('UND_ERR_CONNECT_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await dispatcher.destroy();
    }
  });
});

describe('createGuardedLookup (what the socket connects with)', () => {
  function lookUp(lookup: ReturnType<typeof createGuardedLookup>, hostname: string): Promise<LookupAddress[]> {
    return new Promise((resolve, reject) => {
      lookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses as unknown as LookupAddress[])));
    });
  }

  it('DNS rebinding: a name that resolves to a public address first and to 127.0.0.1 next is refused the second time', async () => {
    const resolve = scriptedResolver(['93.184.215.14'], ['127.0.0.1']);
    const lookup = createGuardedLookup({ resolve });
    // The addresses handed to the socket are exactly the ones judged: no second resolution can slip in between.
    expect(await lookUp(lookup, 'rebind.example.com')).toEqual([{ address: '93.184.215.14', family: 4 }]);
    await expect(lookUp(lookup, 'rebind.example.com')).rejects.toMatchObject({ name: 'DestinationRefusedError', reason: 'loopback address' });
    expect(resolve.calls).toHaveLength(2);
  });

  it('answers in the single-address form too, and honours the family asked for', async () => {
    const lookup = createGuardedLookup({ resolve: scriptedResolver(['2606:4700:4700::1111', '1.1.1.1']) });
    const single = await new Promise<[string, number]>((resolve, reject) => {
      lookup('one.example.com', { family: 4 }, (error, address, family) => (error ? reject(error) : resolve([address as string, family as number])));
    });
    expect(single).toEqual(['1.1.1.1', 4]);
  });

  it('says a name has no address as the system resolver would', async () => {
    const lookup = createGuardedLookup({ resolve: scriptedResolver([]) });
    await expect(lookUp(lookup, 'nothing.example.com')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('still refuses a metadata address while private destinations are allowed', async () => {
    const lookup = createGuardedLookup({ resolve: scriptedResolver(['169.254.169.254']), allowPrivateDestinations: true });
    await expect(lookUp(lookup, 'innocent.example.com')).rejects.toMatchObject({ reason: 'metadata address' });
    const allowed = createGuardedLookup({ resolve: scriptedResolver(['10.1.2.3']), allowPrivateDestinations: true });
    expect(await lookUp(allowed, 'intranet.example.com')).toEqual([{ address: '10.1.2.3', family: 4 }]);
  });
});
