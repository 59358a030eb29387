import { createHttpApi, defineService, json, type RunnableService, silentLogger, TokenRegistry } from '@refinery/runtime';
import { LocalHttpGateway, LocalRuntime } from '../src';
import { tempDir } from './helpers';

// Malformed requests get a 4xx that says what is wrong, never the 500 of an exception thrown while routing.

const things = defineService({
  name: 'things',
  description: 'a service with an HTTP API',
  subscriptions: {},
  http: { routes: ['GET /things/{id}'], function: { timeoutSeconds: 5, memorySizeMb: 256 } },
});
const service: RunnableService = {
  declaration: things,
  subscriptions: {},
  schedules: {},
  http: createHttpApi({
    logger: silentLogger,
    tokens: new TokenRegistry(new Map([['token-acme-0001', 'acme']])),
    routes: { 'GET /things/{id}': async (request) => json(200, { id: request.pathParameters.id }) },
  }),
};

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

describe('malformed %-escapes on the local gateway', () => {
  it.each(['%E0%A4%A', '%zz', '%', 'ok%C3'])('answers /things/%s with 400 malformed_path, before authentication', async (id) => {
    const answer = await fetch(`${url}/things/${id}`);

    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({
      error: { code: 'malformed_path', message: expect.stringContaining('has a malformed %-escape') },
    });
  });

  it('still decodes well-formed escapes into the path parameter', async () => {
    const answer = await fetch(`${url}/things/caf%C3%A9%2F1`, { headers: { authorization: 'Bearer token-acme-0001' } });

    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ id: 'café/1' });
  });

  it('answers a presigned object URL with a malformed key like S3 does: 400 InvalidURI', async () => {
    const answer = await fetch(`${url}/_objects/uploads/tenants/%E0%A4%A?X-Refinery-Expires=1&X-Refinery-Signature=00`, {
      method: 'PUT',
      body: 'a,b\n',
    });

    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain('<Code>InvalidURI</Code>');
  });
});

describe('presigned PUTs signed for a size', () => {
  const ref = { bucket: 'uploads', key: 'tenants/acme/jobs/j1/input.csv' };
  const BODY = 'email\nada@example.com\n';

  it('refuse a body of another size, or one sent without a length, before storing any of it', async () => {
    const put = await runtime.objects.presignPut(ref, { expiresInSeconds: 300, contentType: 'text/csv', contentLength: Buffer.byteLength(BODY) });

    const larger = await fetch(put.url, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: `${BODY}x`.repeat(1000) });
    expect(larger.status).toBe(403);
    expect(await larger.text()).toContain(`the body must be exactly ${Buffer.byteLength(BODY)} bytes`);
    const chunked = await fetch(put.url, {
      method: 'PUT',
      headers: { 'content-type': 'text/csv' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(BODY));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(403);
    expect(await runtime.objects.head(ref)).toBeUndefined();

    const exact = await fetch(put.url, { method: 'PUT', headers: put.headers, body: BODY });
    expect(exact.status).toBe(200);
    expect((await runtime.objects.getBuffer(ref)).toString()).toBe(BODY);
  });

  it('cannot have its size changed in the URL: the size is part of the signature', async () => {
    const put = await runtime.objects.presignPut(ref, { expiresInSeconds: 300, contentLength: 4 });
    const url = new URL(put.url);
    url.searchParams.set('X-Refinery-Content-Length', '300000000');

    const answer = await fetch(url, { method: 'PUT', headers: { 'content-length': '8' }, body: 'a,b\nc,d\n' });

    expect(answer.status).toBe(403);
    expect(await answer.text()).toContain('the signature does not match');
  });
});
