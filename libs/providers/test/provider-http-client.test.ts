import { FakeSleepClock as FakeClock, RecordingMetrics, useNock } from '@refinery/test-support';
import nock from 'nock';
import {
  backoffDelayMs,
  isProviderUnavailable,
  type ProviderCallSettings,
  ProviderHttpClient,
  ProviderRequestError,
  ProviderUnavailableError,
  parseRetryAfter,
} from '../src';
import { failure } from './settle';

useNock(nock);

const ORIGIN = 'https://provider.test';
const URL_ = `${ORIGIN}/people?email=x%40example.com`;

function client(settings: Partial<ProviderCallSettings> = {}, random = () => 0, clock = new FakeClock(), metrics = new RecordingMetrics()) {
  return {
    clock,
    metrics,
    client: new ProviderHttpClient({
      provider: 'test-provider',
      settings: { requestsPerSecond: 1000, maxConcurrent: 10, ...settings },
      clock,
      random,
      secrets: ['s3cr3t-key-value'],
      metrics,
    }),
  };
}

describe('ProviderHttpClient: metrics', () => {
  it('counts every attempt by outcome, with its latency and the wait for the rate limit', async () => {
    nock(ORIGIN)
      .get('/people')
      .query(true)
      .reply(429, {})
      .get('/people')
      .query(true)
      .reply(503, 'busy')
      .get('/people')
      .query(true)
      .delay(1_000)
      .reply(200, {})
      .get('/people')
      .query(true)
      .reply(404, {});
    // Long enough for a loaded machine's first requests, far shorter than the slow answer's delay.
    const { client: http, metrics } = client({ timeoutMs: 400, maxAttempts: 4 });
    await expect(http.request({ url: URL_, answerStatuses: [404] })).resolves.toMatchObject({ status: 404 });

    expect(metrics.of('providerCalls').map((record) => record.dimensions)).toEqual([
      { provider: 'test-provider', outcome: 'throttled' },
      { provider: 'test-provider', outcome: 'error' },
      { provider: 'test-provider', outcome: 'timeout' },
      // An answer the caller takes (404: no such person) is the provider working.
      { provider: 'test-provider', outcome: 'ok' },
    ]);
    expect(metrics.of('providerLatency')).toHaveLength(4);
    expect(metrics.of('providerLatency').every((record) => record.dimensions.provider === 'test-provider' && record.value >= 0)).toBe(true);
    expect(metrics.of('limiterWait').map((record) => record.dimensions)).toEqual(Array(4).fill({ limiter: 'provider' }));
  });
});

describe('ProviderHttpClient: retries', () => {
  it('retries a 429 and returns the answer that follows, after a jittered backoff', async () => {
    const scope = nock(ORIGIN).get('/people').query(true).reply(429, {}).get('/people').query(true).reply(200, { ok: true });
    const { client: http, clock } = client({}, () => 0.5);
    const answer = await http.request({ url: URL_ });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ ok: true });
    expect(scope.isDone()).toBe(true);
    // Full jitter: random 0.5 of min(cap, base * 2^0) = 0.5 * 200.
    expect(clock.sleeps).toEqual([100]);
  });

  it('waits at least as long as Retry-After in seconds', async () => {
    const scope = nock(ORIGIN).get('/people').query(true).reply(429, {}, { 'Retry-After': '7' }).get('/people').query(true).reply(200, {});
    const { client: http, clock } = client();
    await expect(http.request({ url: URL_ })).resolves.toMatchObject({ status: 200 });
    expect(scope.isDone()).toBe(true);
    expect(clock.sleeps).toEqual([7000]);
  });

  it('waits until a Retry-After HTTP-date', async () => {
    const clock = new FakeClock();
    const scope = nock(ORIGIN)
      .get('/people')
      .query(true)
      .reply(503, 'busy', { 'Retry-After': new Date(clock.now() + 30_000).toUTCString() })
      .get('/people')
      .query(true)
      .reply(200, {});
    const { client: http } = client({}, () => 0, clock);
    await expect(http.request({ url: URL_ })).resolves.toMatchObject({ status: 200 });
    expect(scope.isDone()).toBe(true);
    expect(clock.sleeps).toEqual([30_000]);
  });

  it('keeps its own backoff when it is longer than Retry-After', async () => {
    nock(ORIGIN).get('/people').query(true).reply(429, {}, { 'Retry-After': '0' }).get('/people').query(true).reply(200, {});
    const { client: http, clock } = client({ backoffBaseMs: 1000 }, () => 0.5);
    await http.request({ url: URL_ });
    expect(clock.sleeps).toEqual([500]);
  });

  it('gives up at once, with retryAfterMs, when Retry-After is longer than maxRetryAfterMs', async () => {
    const scope = nock(ORIGIN).get('/people').query(true).reply(429, {}, { 'Retry-After': '120' }).get('/people').query(true).reply(200, {});
    const { client: http, clock } = client({ maxRetryAfterMs: 60_000 });
    const error = await failure(http.request({ url: URL_ }));
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(error).toMatchObject({ provider: 'test-provider', retryAfterMs: 120_000 });
    expect((error as Error).message).toContain('maxRetryAfterMs');
    expect(scope.pendingMocks()).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('throws ProviderUnavailableError after maxAttempts 5xx answers, backing off exponentially', async () => {
    const scope = nock(ORIGIN).get('/people').query(true).times(4).reply(500, 'internal error');
    const { client: http, clock } = client({ maxAttempts: 4, backoffBaseMs: 200, backoffCapMs: 20_000 }, () => 0.5);
    const error = await failure(http.request({ url: URL_ }));
    expect(isProviderUnavailable(error)).toBe(true);
    expect((error as Error).message).toContain('failed 4 time(s), last with HTTP 500');
    expect(scope.isDone()).toBe(true);
    expect(clock.sleeps).toEqual([100, 200, 400]);
  });

  it('does not retry a 400 and reports status and body, without the secrets', async () => {
    const scope = nock(ORIGIN)
      .get('/people')
      .query(true)
      .reply(400, { error: 'bad parameter email for key s3cr3t-key-value' })
      .get('/people')
      .query(true)
      .reply(200, {});
    const { client: http, clock } = client();
    const error = await failure(http.request({ url: URL_ }));
    expect(error).toBeInstanceOf(ProviderRequestError);
    expect(isProviderUnavailable(error)).toBe(false);
    expect(error).toMatchObject({ status: 400, provider: 'test-provider' });
    expect((error as ProviderRequestError).bodyExcerpt).toContain('bad parameter email');
    expect((error as Error).message).toContain('test-provider refused GET /people: HTTP 400');
    expect((error as Error).message).not.toContain('s3cr3t-key-value');
    expect((error as Error).message).not.toContain('x%40example.com');
    expect(scope.pendingMocks()).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('returns statuses the caller declared as answers', async () => {
    nock(ORIGIN).get('/people').query(true).reply(404, { status: 404 });
    const { client: http } = client();
    await expect(http.request({ url: URL_, answerStatuses: [404] })).resolves.toMatchObject({ status: 404 });
  });

  it('retries a request that timed out', async () => {
    const scope = nock(ORIGIN)
      .get('/people')
      .query(true)
      .delay(1000)
      .reply(200, { slow: true })
      .get('/people')
      .query(true)
      .reply(200, { fast: true });
    const { client: http, clock } = client({ timeoutMs: 20 });
    const answer = await http.request({ url: URL_ });
    expect(JSON.parse(answer.body)).toEqual({ fast: true });
    expect(scope.isDone()).toBe(true);
    expect(clock.sleeps).toHaveLength(1);
  });

  it('reports a timeout when every attempt timed out', async () => {
    nock(ORIGIN).get('/people').query(true).times(2).delay(1000).reply(200, {});
    const { client: http } = client({ timeoutMs: 20, maxAttempts: 2 });
    const error = await failure(http.request({ url: URL_ }));
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect((error as Error).message).toContain('a timeout after 20 ms');
  });

  it('retries a network error', async () => {
    const scope = nock(ORIGIN).get('/people').query(true).replyWithError('socket hang up').get('/people').query(true).reply(200, {});
    const { client: http } = client();
    await expect(http.request({ url: URL_ })).resolves.toMatchObject({ status: 200 });
    expect(scope.isDone()).toBe(true);
  });
});

describe('ProviderHttpClient: limits', () => {
  it('never has more than maxConcurrent requests in flight', async () => {
    let inFlight = 0;
    let mostInFlight = 0;
    const scope = nock(ORIGIN)
      .get('/people')
      .query(true)
      .times(8)
      .reply(async () => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 15));
        inFlight -= 1;
        return [200, {}];
      });
    const { client: http } = client({ maxConcurrent: 3 });
    const answers = await Promise.all(Array.from({ length: 8 }, () => http.request({ url: URL_ })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    expect(mostInFlight).toBe(3);
    expect(scope.isDone()).toBe(true);
  });

  it('spaces requests at requestsPerSecond', async () => {
    nock(ORIGIN).get('/people').query(true).times(4).reply(200, {});
    const { client: http, clock } = client({ requestsPerSecond: 2 });
    await Promise.all(Array.from({ length: 4 }, () => http.request({ url: URL_ })));
    expect(clock.sleeps).toEqual([500, 500]);
  });
});

describe('retry arithmetic', () => {
  it('caps the exponential step', () => {
    const settings = { backoffBaseMs: 200, backoffCapMs: 1000 };
    expect([1, 2, 3, 4, 5].map((retry) => backoffDelayMs(retry, settings, () => 0.999))).toEqual([199, 399, 799, 999, 999]);
    expect(backoffDelayMs(3, settings, () => 0)).toBe(0);
  });

  it('reads both forms of Retry-After', () => {
    const now = Date.UTC(2025, 0, 6, 12, 0, 0);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 06 Jan 2025 12:00:45 GMT', now)).toBe(45_000);
    expect(parseRetryAfter('Mon, 06 Jan 2025 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
