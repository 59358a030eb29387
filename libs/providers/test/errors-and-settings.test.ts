import {
  DEFAULT_PROVIDER_CALL_SETTINGS,
  findEachContact,
  isProviderUnavailable,
  ProviderBatchError,
  ProviderRequestError,
  ProviderUnavailableError,
  resolveCallSettings,
} from '../src';

describe('errors', () => {
  it('marks unavailability, batch errors included, and nothing else', () => {
    const cause = new Error('HTTP 503');
    const unavailable = new ProviderUnavailableError('p', 'p is unavailable', { retryAfterMs: 5000, cause });
    expect(unavailable).toMatchObject({ name: 'ProviderUnavailableError', provider: 'p', retryAfterMs: 5000, cause });
    const batch = new ProviderBatchError('p', new Map([[0, []]]), [1]);
    expect(batch.name).toBe('ProviderBatchError');
    expect(batch).toBeInstanceOf(ProviderUnavailableError);
    expect(isProviderUnavailable(unavailable)).toBe(true);
    expect(isProviderUnavailable(batch)).toBe(true);
    expect(isProviderUnavailable(new ProviderRequestError('p', 400, 'bad'))).toBe(false);
    expect(isProviderUnavailable(new Error('p is unavailable'))).toBe(false);
    expect(isProviderUnavailable({ name: 'ProviderUnavailableError' })).toBe(false);
    expect(isProviderUnavailable(undefined)).toBe(false);
  });
});

describe('findEachContact', () => {
  it('answers in contact order', async () => {
    const answers = await findEachContact('p', [{ email: 'a@x.co' }, { email: 'b@x.co' }], async (contact, index) => [
      { id: `${contact.email}#${index}`, fields: contact },
    ]);
    expect(answers.map((list) => list[0]?.id)).toEqual(['a@x.co#0', 'b@x.co#1']);
  });

  it('carries the longest wait any failed contact was asked for', async () => {
    const error = await findEachContact('p', [{}, {}, {}], async (_contact, index) => {
      if (index === 0) return [];
      throw new ProviderUnavailableError('p', 'down', { retryAfterMs: index * 1000 });
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderBatchError);
    expect(error).toMatchObject({ retryAfterMs: 2000, unanswered: [1, 2] });
    expect([...(error as ProviderBatchError).answered.keys()]).toEqual([0]);
  });
});

describe('call settings', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_PROVIDER_CALL_SETTINGS).toEqual({
      requestsPerSecond: 10,
      maxConcurrent: 5,
      maxAttempts: 5,
      timeoutMs: 10_000,
      latencyMs: 1_000,
      backoffBaseMs: 200,
      backoffCapMs: 20_000,
      maxRetryAfterMs: 60_000,
      circuitFailureThreshold: 5,
      circuitCooldownMs: 30_000,
    });
    expect(Object.isFrozen(DEFAULT_PROVIDER_CALL_SETTINGS)).toBe(true);
  });

  it('fills in defaults around what is given', () => {
    expect(resolveCallSettings('p', { maxAttempts: 1, requestsPerSecond: 0.5 })).toEqual({
      ...DEFAULT_PROVIDER_CALL_SETTINGS,
      maxAttempts: 1,
      requestsPerSecond: 0.5,
    });
  });

  it.each([
    [{ maxConcurrent: 1.5 }, 'p: settings.maxConcurrent must be a whole number >= 1 (got 1.5)'],
    [{ requestsPerSecond: -2 }, 'p: settings.requestsPerSecond must be a number greater than 0 (got -2)'],
    [{ maxRetryAfterMs: '60' as never }, 'p: settings.maxRetryAfterMs must be a number >= 0 (got "60")'],
    [{ circuitFailureThreshold: Number.POSITIVE_INFINITY }, 'p: settings.circuitFailureThreshold must be a whole number >= 1 (got Infinity)'],
  ])('rejects %j', (settings, message) => {
    expect(() => resolveCallSettings('p', settings)).toThrow(message);
  });
});
