import { apiEvent, testContext } from '@refinery/test-support';
import { createHttpApi, HttpError, json, parseJsonBody, silentLogger, TokenRegistry } from '../src';

const tokens = TokenRegistry.parse('acme:token-acme-1234, globex:token-globex-5678');

const api = createHttpApi({
  logger: silentLogger,
  tokens,
  routes: {
    'GET /things/{id}': async (request) => json(200, { tenant: request.tenantId, id: request.pathParameters.id, q: request.query.q }),
    'POST /things': async (request) => json(201, { body: parseJsonBody(request) }),
    'GET /boom': async () => {
      throw new Error('secret detail');
    },
    'GET /teapot': async () => {
      throw new HttpError(418, 'teapot', 'short and stout', { spout: true });
    },
    'GET /busy': async () => {
      throw new HttpError(429, 'too_many_jobs', 'slow down', undefined, { 'retry-after': '7' });
    },
    'GET /public': { public: true, handler: async (request) => json(200, { tenant: request.tenantId }) },
  },
});

async function call(input: Parameters<typeof apiEvent>[0]) {
  const response = await api(apiEvent(input), testContext());
  return { status: response.statusCode, headers: response.headers ?? {}, body: response.body ? JSON.parse(response.body) : undefined };
}

describe('createHttpApi', () => {
  it('routes by route key and gives the handler the tenant of the token', async () => {
    expect(await call({ routeKey: 'GET /things/{id}', pathParameters: { id: '7' }, query: { q: 'x' }, token: 'token-globex-5678' })).toMatchObject({
      status: 200,
      body: { tenant: 'globex', id: '7', q: 'x' },
    });
  });

  it('answers 401 with WWW-Authenticate when the token is missing or wrong', async () => {
    const missing = await call({ routeKey: 'GET /things/{id}', pathParameters: { id: '7' } });
    expect(missing).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthorized', message: 'missing bearer token (Authorization: Bearer TOKEN)' } },
    });
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    const wrong = await call({ routeKey: 'GET /things/{id}', pathParameters: { id: '7' }, token: 'token-acme-12345' });
    expect(wrong).toMatchObject({ status: 401, body: { error: { message: 'the bearer token is not valid' } } });
  });

  it("answers an HttpError's own headers beside its JSON body (Retry-After of a 429)", async () => {
    const answer = await call({ routeKey: 'GET /busy', token: 'token-acme-1234' });
    expect(answer).toMatchObject({ status: 429, body: { error: { code: 'too_many_jobs', message: 'slow down' } } });
    expect(answer.headers['retry-after']).toBe('7');
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('lets public routes through without a token', async () => {
    expect(await call({ routeKey: 'GET /public' })).toMatchObject({ status: 200, body: { tenant: '' } });
  });

  it('decodes base64 bodies and explains bad JSON', async () => {
    expect(await call({ routeKey: 'POST /things', body: '{"a":1}', token: 'token-acme-1234' })).toMatchObject({
      status: 201,
      body: { body: { a: 1 } },
    });
    expect(await call({ routeKey: 'POST /things', body: '{nope', token: 'token-acme-1234' })).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_body' } },
    });
    expect(await call({ routeKey: 'POST /things', token: 'token-acme-1234' })).toMatchObject({
      status: 400,
      body: { error: { message: 'the request body is empty; expected JSON' } },
    });
  });

  it('turns HttpErrors into their status and hides other errors behind a 500 naming the request id', async () => {
    expect(await call({ routeKey: 'GET /teapot', token: 'token-acme-1234' })).toEqual(
      expect.objectContaining({ status: 418, body: { error: { code: 'teapot', message: 'short and stout', details: { spout: true } } } }),
    );
    const boom = await call({ routeKey: 'GET /boom', token: 'token-acme-1234' });
    expect(boom).toMatchObject({ status: 500, body: { error: { code: 'internal', message: 'internal error; quote request id request-1' } } });
    expect(JSON.stringify(boom.body)).not.toContain('secret detail');
  });

  it('answers 404 for a route it does not serve', async () => {
    expect(await call({ routeKey: 'GET /nothing', token: 'token-acme-1234' })).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  });
});

describe('TokenRegistry', () => {
  it('maps tokens to tenants and refuses malformed specs', () => {
    expect(tokens.tenantFor('Bearer token-acme-1234')).toBe('acme');
    expect(tokens.tenantFor('bearer   token-globex-5678 ')).toBe('globex');
    expect(tokens.tenantFor('Basic token-acme-1234')).toBeUndefined();
    expect(tokens.tenantFor(undefined)).toBeUndefined();
    expect(() => TokenRegistry.parse('acme')).toThrow('must be tenant:token');
    expect(() => TokenRegistry.parse('acme:short')).toThrow('at least 8 characters');
    expect(() => TokenRegistry.parse('ac me:long-enough-token')).toThrow('may only use letters');
    expect(() => TokenRegistry.parse(' , ')).toThrow('lists no tokens');
  });
});
