import { createHttpApi, defineService, json, type RunnableService, silentLogger, TokenRegistry } from '@refinery/runtime';
import { LocalHttpGateway, LocalRuntime } from '../src';
import { tempDir } from './helpers';

// The local gateway answers cross-origin requests as the AWS side does (HTTP APIs with `httpApi.cors: true`; the
// uploads bucket's CORS rule for presigned PUTs), so the web page served from another origin works locally as it
// would on AWS — and what AWS would refuse, the local mode refuses too.

const things = defineService({
  name: 'things',
  description: 'a service with an HTTP API',
  subscriptions: {},
  http: { routes: ['GET /things'], function: { timeoutSeconds: 5, memorySizeMb: 256 } },
});
const service: RunnableService = {
  declaration: things,
  subscriptions: {},
  schedules: {},
  http: createHttpApi({
    logger: silentLogger,
    tokens: new TokenRegistry(new Map([['token-acme-0001', 'acme']])),
    routes: { 'GET /things': async (request) => json(200, { tenant: request.tenantId }) },
  }),
};
const PAGE = 'https://refinery.example.com';

let dir: ReturnType<typeof tempDir>;
let runtime: LocalRuntime;
let gateway: LocalHttpGateway;
let url: string;

beforeEach(async () => {
  dir = tempDir();
  runtime = await LocalRuntime.open({ dataDir: dir.path });
  runtime.register(service);
  gateway = new LocalHttpGateway(runtime);
  url = await gateway.listen(0);
});

afterEach(async () => {
  await gateway.close();
  await runtime.close();
  dir.cleanup();
});

const preflight = (path: string, method: string, headers: string) =>
  fetch(`${url}${path}`, {
    method: 'OPTIONS',
    headers: { origin: PAGE, 'access-control-request-method': method, 'access-control-request-headers': headers },
  });

describe('CORS on the local gateway', () => {
  it('answers an API preflight for the headers the HTTP APIs allow, and allows the response to be read', async () => {
    const answer = await preflight('/things', 'GET', 'authorization,content-type');
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    expect(answer.headers.get('access-control-allow-methods')?.split(',')).toContain('GET');
    expect(answer.headers.get('access-control-allow-headers')?.toLowerCase().split(',')).toEqual(
      expect.arrayContaining(['authorization', 'content-type']),
    );

    const read = await fetch(`${url}/things`, { headers: { origin: PAGE, authorization: 'Bearer token-acme-0001' } });
    expect(read.status).toBe(200);
    expect(read.headers.get('access-control-allow-origin')).toBe('*');
    expect(await read.json()).toEqual({ tenant: 'acme' });
  });

  it('refuses a preflight for a header the HTTP APIs do not allow (as API Gateway would)', async () => {
    const answer = await preflight('/things', 'POST', 'authorization,idempotency-key');
    expect(answer.status).toBe(403);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("answers a presigned upload's preflight as the uploads bucket's rule does: PUT with content-type and if-none-match, etag readable", async () => {
    const answer = await preflight('/_objects/uploads/tenants/acme/jobs/j/input.csv', 'PUT', 'content-type,if-none-match');
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-methods')).toBe('PUT');
    expect((await preflight('/_objects/uploads/x.csv', 'DELETE', 'content-type')).status).toBe(403);

    const upload = await runtime.objects.presignPut(
      { bucket: 'uploads', key: 'x.csv' },
      { expiresInSeconds: 60, contentType: 'text/csv', ifNoneMatch: '*' },
    );
    const put = await fetch(upload.url, { method: 'PUT', headers: { ...upload.headers, origin: PAGE }, body: 'a,b\n1,2\n' });
    expect(put.status).toBe(200);
    expect(put.headers.get('access-control-allow-origin')).toBe('*');
    expect(put.headers.get('access-control-expose-headers')).toBe('etag');
  });

  it('adds nothing to same-origin requests (no Origin header)', async () => {
    const read = await fetch(`${url}/things`, { headers: { authorization: 'Bearer token-acme-0001' } });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });
});
