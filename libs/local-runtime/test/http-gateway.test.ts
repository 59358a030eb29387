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
