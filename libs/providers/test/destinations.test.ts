import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ALLOW_PRIVATE_DESTINATIONS_ENV } from '@refinery/outbound';
import { FakeSleepClock as FakeClock } from '@refinery/test-support';
import { HttpTemplateProvider, PeopleDataLabsProvider, ProviderHttpClient, ProviderRequestError } from '../src';
import { failure } from './settle';

// Issue 14: providers' URLs are configured by an operator, but a template's host (or what its name resolves to) must
// not reach the instance metadata, the Lambda Runtime API or the VPC either.

const saved = process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
beforeEach(() => {
  delete process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
});
afterAll(() => {
  if (saved === undefined) delete process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
  else process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = saved;
});

function directory(urlTemplate: string) {
  return new HttpTemplateProvider({
    name: 'hr-directory',
    urlTemplate,
    idField: 'id',
    clock: new FakeClock(),
    random: () => 0,
    settings: { requestsPerSecond: 1000, maxAttempts: 3 },
  });
}

describe('provider configuration', () => {
  it.each([
    [
      'http://169.254.169.254/latest/meta-data/{email}',
      'hr-directory: urlTemplate is refused: destination refused: 169.254.169.254 is a cloud instance-metadata address',
    ],
    ['https://10.0.0.1/people?email={email}', 'hr-directory: urlTemplate is refused: destination refused: 10.0.0.1 is a private address'],
    ['https://0x7f.1/people?email={email}', 'destination refused: 127.0.0.1 is a loopback address'],
    ['https://localhost/people?email={email}', 'destination refused: localhost is a loopback host name'],
    ['https://metadata.google.internal/people?email={email}', 'metadata.google.internal is a cloud instance-metadata host name'],
    [
      'https://svc:secret-pw@dir.example.com/people?email={email}',
      'hr-directory: urlTemplate is refused: destination refused: the URL has credentials',
    ],
  ])('refuses the template %s when the provider is built', (template, message) => {
    expect(() => directory(template)).toThrow(message);
  });

  it("refuses a People Data Labs baseUrl that is not public, and never repeats the URL's credentials", () => {
    expect(() => new PeopleDataLabsProvider({ apiKey: 'k', baseUrl: 'http://[::ffff:10.0.0.8]/pdl' })).toThrow(
      'people-data-labs: baseUrl is refused: destination refused: [::ffff:a00:8] is the IPv4-mapped IPv6 form of a private address',
    );
    expect(() => new PeopleDataLabsProvider({ apiKey: 'k', baseUrl: 'https://u:secret-pw@proxy.example.com/' })).toThrow(
      /^(?!.*secret-pw).*credentials/,
    );
  });

  it(`accepts a local directory with ${ALLOW_PRIVATE_DESTINATIONS_ENV}=1, never the metadata endpoint`, () => {
    process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = '1';
    expect(directory('http://127.0.0.1:8081/people?email={email}').name).toBe('hr-directory');
    expect(() => directory('http://169.254.169.254/{email}')).toThrow('cloud instance-metadata address');
  });
});

describe('provider requests', () => {
  let server: Server;
  let connections = 0;
  beforeEach(async () => {
    connections = 0;
    server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('[]'));
    server.on('connection', () => {
      connections += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const port = () => (server.address() as AddressInfo).port;

  it('are checked when sent: a directory on 127.0.0.1 is asked only while private destinations are allowed', async () => {
    process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = '1';
    const provider = directory(`http://127.0.0.1:${port()}/people?email={email}`);
    await expect(provider.findCandidates([{ email: 'ana@example.com' }])).resolves.toEqual([[]]);
    expect(connections).toBe(1);

    delete process.env[ALLOW_PRIVATE_DESTINATIONS_ENV];
    const error = await failure(provider.findCandidates([{ email: 'bob@example.com' }]));
    // Refused without a connection, not retried (maxAttempts 3), and not counted against the circuit.
    expect(error).toBeInstanceOf(ProviderRequestError);
    expect((error as Error).message).toBe(
      'hr-directory was not asked GET /people: destination refused: 127.0.0.1 is a loopback address; only public addresses may be reached ' +
        `(set ${ALLOW_PRIVATE_DESTINATIONS_ENV}=1 to allow it for local testing, never on AWS)`,
    );
    expect((error as Error).message).not.toContain('bob');
    expect(connections).toBe(1);
  });

  it('never follow a redirect', async () => {
    process.env[ALLOW_PRIVATE_DESTINATIONS_ENV] = '1';
    server.removeAllListeners('request');
    server.on('request', (_request, response) => response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end());
    const client = new ProviderHttpClient({ provider: 'crm', clock: new FakeClock(), settings: { maxAttempts: 1 } });
    const error = await failure(client.request({ url: `http://127.0.0.1:${port()}/people` }));
    expect(error).toBeInstanceOf(ProviderRequestError);
    expect((error as ProviderRequestError).status).toBe(302);
  });
});
