import { createTestPorts, type TestPorts } from '@refinery/test-support';
import { ACME_TOKEN, createNotifier, GLOBEX_TOKEN } from './helpers';

// A tenant's webhook subscriptions are limited (maxSubscriptions): one more is refused with 409, naming the limit.

let ports: TestPorts;
beforeEach(() => {
  ports = createTestPorts();
});
afterEach(() => ports.cleanup());

function post(token: string, url: string) {
  return { routeKey: 'POST /subscriptions', token, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url }) };
}

describe('subscriptions per tenant', () => {
  it('refuses one more than maxSubscriptions with 409, per tenant, and takes one again after a delete', async () => {
    const { api } = createNotifier(ports, { maxSubscriptions: 2 });
    const first = await api(post(ACME_TOKEN, 'https://hooks.example.com/1'));
    expect(first.statusCode).toBe(201);
    expect((await api(post(ACME_TOKEN, 'https://hooks.example.com/2'))).statusCode).toBe(201);

    const refused = await api(post(ACME_TOKEN, 'https://hooks.example.com/3'));

    expect(refused.statusCode).toBe(409);
    expect(refused.json).toEqual({
      error: {
        code: 'too_many_subscriptions',
        message: 'this tenant has 2 subscriptions, the most it may have (maxSubscriptions 2); delete one first (DELETE /subscriptions/{id})',
      },
    });
    expect((await api({ routeKey: 'GET /subscriptions', token: ACME_TOKEN })).json?.subscriptions).toHaveLength(2);
    expect((await api(post(GLOBEX_TOKEN, 'https://hooks.example.com/g'))).statusCode).toBe(201);

    await api({ routeKey: 'DELETE /subscriptions/{id}', token: ACME_TOKEN, pathParameters: { id: first.json?.id as string } });
    expect((await api(post(ACME_TOKEN, 'https://hooks.example.com/3'))).statusCode).toBe(201);
  });

  it('never lets requests racing for the last place take more than the limit', async () => {
    const { api } = createNotifier(ports, { maxSubscriptions: 3 });

    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => api(post(ACME_TOKEN, `https://hooks.example.com/${i}`))));

    expect(answers.every((answer) => answer.statusCode === 201 || answer.statusCode === 409)).toBe(true);
    const listed = (await api({ routeKey: 'GET /subscriptions', token: ACME_TOKEN })).json?.subscriptions as unknown[];
    expect(listed.length).toBeLessThanOrEqual(3);
    expect(listed).toHaveLength(answers.filter((answer) => answer.statusCode === 201).length);
  });
});
