import { FakeSleepClock as FakeClock, useNock } from '@refinery/test-support';
import nock from 'nock';
import {
  CircuitBreaker,
  type CircuitTransition,
  type ProviderCallSettings,
  ProviderHttpClient,
  ProviderRequestError,
  ProviderUnavailableError,
} from '../src';
import { deferred, failure, settle } from './settle';

useNock(nock);

const ORIGIN = 'https://directory.test';
const URL_ = `${ORIGIN}/people?last=thorne`;

function client(clock: FakeClock, settings: Partial<ProviderCallSettings> = {}) {
  return new ProviderHttpClient({
    provider: 'directory',
    settings: { requestsPerSecond: 1000, maxAttempts: 1, circuitFailureThreshold: 2, circuitCooldownMs: 30_000, ...settings },
    clock,
    random: () => 0,
  });
}

describe('circuit breaker around the HTTP client', () => {
  it('opens after the threshold of failed calls and then rejects without sending anything', async () => {
    const clock = new FakeClock();
    const http = client(clock);
    nock(ORIGIN).get('/people').query(true).times(2).reply(503, 'down');
    for (let call = 0; call < 2; call += 1) {
      await expect(http.request({ url: URL_ })).rejects.toThrow('failed 1 time(s), last with HTTP 503');
    }
    expect(http.breaker.state).toBe('open');

    const untouched = nock(ORIGIN).get('/people').query(true).reply(200, {});
    const error = await failure(http.request({ url: URL_ }));
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    const until = new Date(clock.now() + 30_000).toISOString();
    expect((error as Error).message).toBe(
      `directory is unavailable: circuit open until ${until} (2 consecutive failed calls, or a failed trial call)`,
    );
    expect(error).toMatchObject({ provider: 'directory', retryAfterMs: 30_000 });
    expect(untouched.pendingMocks()).toHaveLength(1);
  });

  it('half-opens after the cool-down, and a successful trial call closes it', async () => {
    const clock = new FakeClock();
    const http = client(clock);
    nock(ORIGIN).get('/people').query(true).times(2).reply(500, 'down');
    await expect(http.request({ url: URL_ })).rejects.toThrow(ProviderUnavailableError);
    await expect(http.request({ url: URL_ })).rejects.toThrow(ProviderUnavailableError);

    clock.advance(29_999);
    await expect(http.request({ url: URL_ })).rejects.toThrow('circuit open');

    clock.advance(1);
    const trial = nock(ORIGIN).get('/people').query(true).times(2).reply(200, { ok: 1 });
    await expect(http.request({ url: URL_ })).resolves.toMatchObject({ status: 200 });
    expect(http.breaker.state).toBe('closed');
    await expect(http.request({ url: URL_ })).resolves.toMatchObject({ status: 200 });
    expect(trial.isDone()).toBe(true);
  });

  it('lets only one trial call through while half-open, and re-opens when it fails', async () => {
    const clock = new FakeClock();
    const http = client(clock);
    nock(ORIGIN).get('/people').query(true).times(2).reply(500, 'down');
    await expect(http.request({ url: URL_ })).rejects.toThrow(ProviderUnavailableError);
    await expect(http.request({ url: URL_ })).rejects.toThrow(ProviderUnavailableError);
    clock.advance(30_000);

    const trialScope = nock(ORIGIN).get('/people').query(true).delay(30).reply(502, 'still down');
    const trial = http.request({ url: URL_ });
    await settle();
    expect(http.breaker.state).toBe('half-open');
    await expect(http.request({ url: URL_ })).rejects.toThrow('circuit half-open');
    await expect(trial).rejects.toThrow('last with HTTP 502');
    expect(trialScope.isDone()).toBe(true);
    expect(http.breaker.state).toBe('open');

    const untouched = nock(ORIGIN).get('/people').query(true).reply(200, {});
    await expect(http.request({ url: URL_ })).rejects.toThrow('circuit open');
    expect(untouched.pendingMocks()).toHaveLength(1);
  });

  it('does not count refused requests (4xx) as failures: the provider is up', async () => {
    const clock = new FakeClock();
    const http = client(clock);
    const scope = nock(ORIGIN).get('/people').query(true).times(3).reply(400, 'bad request').get('/people').query(true).reply(200, {});
    for (let call = 0; call < 3; call += 1) {
      await expect(http.request({ url: URL_ })).rejects.toThrow(ProviderRequestError);
    }
    await expect(http.request({ url: URL_ })).resolves.toMatchObject({ status: 200 });
    expect(scope.isDone()).toBe(true);
  });

  it('a success between failures starts the count again', async () => {
    const clock = new FakeClock();
    const http = client(clock);
    nock(ORIGIN)
      .get('/people')
      .query(true)
      .reply(500)
      .get('/people')
      .query(true)
      .reply(200, {})
      .get('/people')
      .query(true)
      .reply(500)
      .get('/people')
      .query(true)
      .reply(200, {});
    await expect(http.request({ url: URL_ })).rejects.toThrow(ProviderUnavailableError);
    await http.request({ url: URL_ });
    await expect(http.request({ url: URL_ })).rejects.toThrow(ProviderUnavailableError);
    expect(http.breaker.state).toBe('closed');
    await expect(http.request({ url: URL_ })).resolves.toMatchObject({ status: 200 });
  });

  it('stops retrying a call once other calls have opened the circuit', async () => {
    const clock = new FakeClock();
    // The first backoff (whichever call it belongs to) is held until the other call has failed for good.
    const heldWait = deferred();
    const sleep = clock.sleep;
    let sleeps = 0;
    clock.sleep = async (ms: number) => (++sleeps === 1 ? heldWait.promise : sleep(ms));
    const http = client(clock, { maxAttempts: 3, circuitFailureThreshold: 1 });
    const scope = nock(ORIGIN).get('/people').query(true).times(4).reply(503, 'down').get('/people').query(true).reply(200, {});
    const calls = [http.request({ url: URL_ }), http.request({ url: URL_ })].map((call) => failure(call));
    const failedForGood = await Promise.race(calls);
    expect((failedForGood as Error).message).toContain('failed 3 time(s)');
    expect(http.breaker.state).toBe('open');
    heldWait.resolve();
    const messages = (await Promise.all(calls)).map((error) => (error as Error).message);
    expect(messages.filter((message) => message.includes('circuit open'))).toHaveLength(1);
    // 1 + 3 attempts; the held call never sent its second one.
    expect(scope.pendingMocks()).toHaveLength(1);
  });
});

describe('CircuitBreaker', () => {
  it('ignores the outcome of a call admitted before the circuit opened', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ provider: 'p', failureThreshold: 1, cooldownMs: 1000, clock });
    const slow = deferred<string>();
    const slowCall = breaker.run(() => slow.promise);
    await expect(breaker.run(async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    slow.resolve('late success');
    await expect(slowCall).resolves.toBe('late success');
    expect(breaker.state).toBe('open');
    await expect(breaker.run(async () => 'x')).rejects.toThrow('circuit open');
  });
});

describe('CircuitBreaker observer', () => {
  it('hears closed → open → half-open → open → half-open → closed, each with the provider, the time and the reason', async () => {
    const clock = new FakeClock();
    const transitions: CircuitTransition[] = [];
    const breaker = new CircuitBreaker({ provider: 'p', failureThreshold: 2, cooldownMs: 1000, clock, observer: (t) => transitions.push(t) });
    const fail = (message: string) => breaker.run(async () => Promise.reject(new Error(message)));
    await expect(fail('HTTP 503')).rejects.toThrow();
    expect(transitions).toEqual([]);
    const openedAt = clock.now();
    await expect(fail('a timeout after 10000 ms')).rejects.toThrow();
    clock.advance(1000);
    await expect(fail('HTTP 502')).rejects.toThrow('HTTP 502');
    clock.advance(1000);
    await expect(breaker.run(async () => 'ok')).resolves.toBe('ok');
    expect(transitions).toEqual([
      { provider: 'p', from: 'closed', to: 'open', at: openedAt, reason: '2 consecutive failed calls, the last: a timeout after 10000 ms' },
      { provider: 'p', from: 'open', to: 'half-open', at: openedAt + 1000, reason: 'cool-down of 1000 ms over: one trial call let through' },
      { provider: 'p', from: 'half-open', to: 'open', at: openedAt + 1000, reason: 'the trial call failed: HTTP 502' },
      { provider: 'p', from: 'open', to: 'half-open', at: openedAt + 2000, reason: 'cool-down of 1000 ms over: one trial call let through' },
      { provider: 'p', from: 'half-open', to: 'closed', at: openedAt + 2000, reason: 'the trial call succeeded' },
    ]);
  });

  it('is told nothing of calls that change no state, and an observer that throws changes no outcome', async () => {
    const clock = new FakeClock();
    let heard = 0;
    const breaker = new CircuitBreaker({
      provider: 'p',
      failureThreshold: 1,
      cooldownMs: 1000,
      clock,
      observer: () => {
        heard += 1;
        throw new Error('observer broken');
      },
    });
    await expect(breaker.run(async () => 'ok')).resolves.toBe('ok');
    expect(heard).toBe(0);
    await expect(breaker.run(async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    expect(heard).toBe(1);
    await expect(breaker.run(async () => 'x')).rejects.toThrow('circuit open');
    expect(heard).toBe(1);
  });

  it('is given by the HTTP client its circuitObserver option', async () => {
    const clock = new FakeClock();
    const transitions: CircuitTransition[] = [];
    const http = new ProviderHttpClient({
      provider: 'directory',
      settings: { requestsPerSecond: 1000, maxAttempts: 1, circuitFailureThreshold: 1, circuitCooldownMs: 30_000 },
      clock,
      circuitObserver: (t) => transitions.push(t),
    });
    nock(ORIGIN).get('/people').query(true).reply(503, 'down');
    await expect(http.request({ url: URL_ })).rejects.toThrow(ProviderUnavailableError);
    expect(transitions).toEqual([
      {
        provider: 'directory',
        from: 'closed',
        to: 'open',
        at: clock.now(),
        reason: '1 consecutive failed call, the last: directory is unavailable: GET /people failed 1 time(s), last with HTTP 503',
      },
    ]);
  });
});
