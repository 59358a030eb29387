import { FakeSleepClock as FakeClock, useNock } from '@refinery/test-support';
import nock from 'nock';
import {
  isProviderUnavailable,
  type PeopleDataLabsOptions,
  PeopleDataLabsProvider,
  ProviderBatchError,
  ProviderRequestError,
  parseRateLimitReset,
} from '../src';
import { failure } from './settle';

useNock(nock);

const PDL = 'https://api.peopledatalabs.com';
const ENRICH = '/v5/person/enrich';
const API_KEY = 'pdl-test-key-0123456789abcdef';

// Shapes as documented: https://docs.peopledatalabs.com/docs/output-response-person-enrichment-api and
// https://docs.peopledatalabs.com/docs/errors (error bodies).
const SEAN = {
  status: 200,
  likelihood: 8,
  data: {
    id: 'qEnOZ5Oh0poWnQ1luFBfVw_0000',
    full_name: 'sean thorne',
    first_name: 'sean',
    last_name: 'thorne',
    work_email: 'sean@peopledatalabs.com',
    personal_emails: ['sthorne@gmail.com'],
    emails: [{ address: 'sean@peopledatalabs.com', type: 'current_professional' }],
    mobile_phone: '+14155688415',
    phone_numbers: ['+14155688415', '+14155550134'],
    job_title: 'co-founder and chief executive officer',
    job_company_name: 'people data labs',
    location_street_address: '455 market street',
    location_locality: 'san francisco',
    location_region: 'california',
    location_postal_code: '94105',
    location_country: 'united states',
    birth_date: '1990-05-12',
    linkedin_url: 'linkedin.com/in/seanthorne',
  },
};
const NOT_FOUND = { status: 404, error: { type: 'not_found', message: 'No records were found matching your request' } };

function provider(options: Partial<PeopleDataLabsOptions> = {}, clock = new FakeClock()) {
  return new PeopleDataLabsProvider({
    apiKey: API_KEY,
    clock,
    random: () => 0,
    ...options,
    settings: { requestsPerSecond: 1000, ...options.settings },
  });
}

describe('PeopleDataLabsProvider: request', () => {
  it('sends the API key in X-Api-Key and every field the contact has under its PDL name', async () => {
    const scope = nock(PDL)
      .get(ENRICH)
      .matchHeader('x-api-key', API_KEY)
      .query({
        first_name: 'Sean',
        last_name: 'Thorne',
        email: 'sean@peopledatalabs.com',
        phone: '+14155688415',
        company: 'People Data Labs',
        street_address: '455 Market St',
        locality: 'San Francisco',
        region: 'CA',
        postal_code: '94105',
        country: 'US',
        birth_date: '1990-05-12',
        min_likelihood: '6',
      })
      .reply(200, SEAN);
    const result = await provider().findCandidates([
      {
        first_name: 'Sean',
        last_name: 'Thorne',
        email: 'sean@peopledatalabs.com',
        phone: '+14155688415',
        company: 'People Data Labs',
        title: 'CEO',
        street: '455 Market St',
        city: 'San Francisco',
        state: 'CA',
        postcode: '94105',
        country: 'US',
        birth_date: '1990-05-12',
      },
    ]);
    expect(scope.isDone()).toBe(true);
    expect(result[0]?.[0]?.id).toBe('qEnOZ5Oh0poWnQ1luFBfVw_0000');
  });

  it('sends only the fields the contact has, and the configured min_likelihood', async () => {
    const scope = nock(PDL).get(ENRICH).query({ email: 'sean@peopledatalabs.com', min_likelihood: '8' }).reply(200, SEAN);
    await provider({ minLikelihood: 8 }).findCandidates([{ email: 'sean@peopledatalabs.com', city: '' }]);
    expect(scope.isDone()).toBe(true);
  });

  it('honours a base URL with a path (a proxy)', async () => {
    const scope = nock('https://proxy.internal').get(`/pdl${ENRICH}`).query({ email: 'a@b.co', min_likelihood: '6' }).reply(404, NOT_FOUND);
    await expect(provider({ baseUrl: 'https://proxy.internal/pdl' }).findCandidates([{ email: 'a@b.co' }])).resolves.toEqual([[]]);
    expect(scope.isDone()).toBe(true);
  });

  it('does not ask about a contact below the documented minimum (name alone), and answers no candidates', async () => {
    // Net connect is disabled and no interceptor is set: a request would fail the batch.
    await expect(
      provider().findCandidates([
        { first_name: 'Sean', last_name: 'Thorne' },
        { first_name: 'Sean', city: 'SF' },
      ]),
    ).resolves.toEqual([[], []]);
  });

  it('asks about a name plus one more data point', async () => {
    const scope = nock(PDL)
      .get(ENRICH)
      .query({ first_name: 'Sean', last_name: 'Thorne', locality: 'San Francisco', min_likelihood: '6' })
      .reply(404, NOT_FOUND);
    await provider().findCandidates([{ first_name: 'Sean', last_name: 'Thorne', city: 'San Francisco' }]);
    expect(scope.isDone()).toBe(true);
  });
});

describe('PeopleDataLabsProvider: answers', () => {
  it('maps a 200 to one standardized candidate with confidence = likelihood / 10', async () => {
    nock(PDL).get(ENRICH).query(true).reply(200, SEAN);
    const [candidates] = await provider().findCandidates([{ email: 'sean@peopledatalabs.com' }]);
    expect(candidates).toEqual([
      {
        id: 'qEnOZ5Oh0poWnQ1luFBfVw_0000',
        confidence: 0.8,
        fields: {
          first_name: 'sean',
          last_name: 'thorne',
          email: 'sean@peopledatalabs.com',
          phone: '+14155688415',
          company: 'people data labs',
          title: 'co-founder and chief executive officer',
          street: '455 market street',
          city: 'san francisco',
          state: 'CA',
          postcode: '94105',
          country: 'US',
          birth_date: '1990-05-12',
        },
      },
    ]);
  });

  it('falls back to personal emails, listed emails and phone numbers; ignores fields the plan hides and partial birth dates', async () => {
    const record = {
      status: 200,
      likelihood: 10,
      data: {
        id: 'abc',
        first_name: 'ana',
        work_email: true,
        personal_emails: null,
        emails: [{ address: null }, { address: 'Ana@Example.com', type: 'personal' }],
        mobile_phone: true,
        phone_numbers: ['+442079460000'],
        location_country: 'united kingdom',
        birth_date: '1985',
      },
    };
    nock(PDL).get(ENRICH).query(true).reply(200, record);
    const [candidates] = await provider().findCandidates([{ email: 'ana@example.com' }]);
    expect(candidates).toEqual([
      { id: 'abc', confidence: 1, fields: { first_name: 'ana', email: 'ana@example.com', phone: '+442079460000', country: 'GB' } },
    ]);
  });

  it('takes the first personal email when there is no work email', async () => {
    nock(PDL)
      .get(ENRICH)
      .query(true)
      .reply(200, { ...SEAN, data: { ...SEAN.data, work_email: null } });
    const [candidates] = await provider().findCandidates([{ email: 'sthorne@gmail.com' }]);
    expect(candidates?.[0]?.fields.email).toBe('sthorne@gmail.com');
  });

  it('answers no candidates on 404', async () => {
    const scope = nock(PDL).get(ENRICH).query(true).reply(404, NOT_FOUND);
    await expect(provider().findCandidates([{ email: 'nobody@example.com' }])).resolves.toEqual([[]]);
    expect(scope.isDone()).toBe(true);
  });

  it('asks nothing for an empty batch', async () => {
    await expect(provider().findCandidates([])).resolves.toEqual([]);
  });

  it('reports a rejected API key as ProviderRequestError, never showing the key', async () => {
    nock(PDL)
      .get(ENRICH)
      .query(true)
      .reply(401, { status: 401, error: { type: 'authentication_error', message: `Invalid API key ${API_KEY}` } });
    const error = await failure(provider().findCandidates([{ email: 'sean@peopledatalabs.com' }]));
    expect(error).toBeInstanceOf(ProviderRequestError);
    expect(isProviderUnavailable(error)).toBe(false);
    expect(error).toMatchObject({ status: 401, provider: 'people-data-labs' });
    expect((error as Error).message).toContain('API key rejected (HTTP 401)');
    expect((error as Error).message).toContain('authentication_error');
    expect((error as Error).message).not.toContain(API_KEY);
    expect((error as ProviderRequestError).bodyExcerpt).not.toContain(API_KEY);
  });

  it('retries a 429 after the time in x-ratelimit-reset when there is no Retry-After', async () => {
    const clock = new FakeClock();
    const resetAt = Math.floor(clock.now() / 1000) + 20;
    nock(PDL)
      .get(ENRICH)
      .query(true)
      .reply(
        429,
        { status: 429, error: { type: 'rate_limit_error', message: 'An error occurred due to requests hitting the API too quick' } },
        {
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(resetAt),
        },
      )
      .get(ENRICH)
      .query(true)
      .reply(200, SEAN);
    const [candidates] = await provider({}, clock).findCandidates([{ email: 'sean@peopledatalabs.com' }]);
    expect(candidates).toHaveLength(1);
    expect(clock.sleeps).toEqual([20_000]);
  });

  it('prefers Retry-After to x-ratelimit-reset', async () => {
    const clock = new FakeClock();
    nock(PDL)
      .get(ENRICH)
      .query(true)
      .reply(429, {}, { 'retry-after': '3', 'x-ratelimit-reset': String(Math.floor(clock.now() / 1000) + 50) })
      .get(ENRICH)
      .query(true)
      .reply(200, SEAN);
    await provider({}, clock).findCandidates([{ email: 'sean@peopledatalabs.com' }]);
    expect(clock.sleeps).toEqual([3000]);
  });

  it('reads x-ratelimit-reset as epoch seconds or milliseconds, delta-seconds, a date, or JSON per window', () => {
    const now = Date.UTC(2025, 0, 6, 12, 0, 0);
    expect(parseRateLimitReset(String(now / 1000 + 42), now)).toBe(42_000);
    expect(parseRateLimitReset(String(now + 1500), now)).toBe(1500);
    expect(parseRateLimitReset('30', now)).toBe(30_000);
    expect(parseRateLimitReset('2025-01-06T12:00:10Z', now)).toBe(10_000);
    expect(parseRateLimitReset(JSON.stringify({ minute: now / 1000 + 5, second: now / 1000 + 1 }), now)).toBe(5000);
    expect(parseRateLimitReset('not a time', now)).toBeUndefined();
    expect(parseRateLimitReset(null, now)).toBeUndefined();
  });
});

describe('PeopleDataLabsProvider: partial progress', () => {
  it('keeps the answers that arrived when some contacts fail for good', async () => {
    nock(PDL)
      .get(ENRICH)
      .query({ email: 'sean@peopledatalabs.com', min_likelihood: '6' })
      .delay(40)
      .reply(200, SEAN)
      .get(ENRICH)
      .query({ email: 'down@example.com', min_likelihood: '6' })
      .times(2)
      .reply(503, 'unavailable')
      .get(ENRICH)
      .query({ email: 'nobody@example.com', min_likelihood: '6' })
      .reply(404, NOT_FOUND);
    const pdl = provider({ settings: { maxAttempts: 2, circuitFailureThreshold: 10 } });
    const error = await failure(
      pdl.findCandidates([{ email: 'sean@peopledatalabs.com' }, { email: 'down@example.com' }, { email: 'nobody@example.com' }]),
    );
    expect(error).toBeInstanceOf(ProviderBatchError);
    expect(isProviderUnavailable(error)).toBe(true);
    const batch = error as ProviderBatchError;
    // The slow first answer arrived after the failure: it was waited for, not dropped.
    expect([...batch.answered.keys()].sort()).toEqual([0, 2]);
    expect(batch.answered.get(0)?.map((candidate) => candidate.id)).toEqual(['qEnOZ5Oh0poWnQ1luFBfVw_0000']);
    expect(batch.answered.get(2)).toEqual([]);
    expect(batch.unanswered).toEqual([1]);
    expect(batch.provider).toBe('people-data-labs');
    expect(batch.message).toBe(
      'people-data-labs is unavailable: 1 of 3 contacts unanswered, 2 answered; ' +
        'first: people-data-labs is unavailable: GET /v5/person/enrich failed 2 time(s), last with HTTP 503',
    );
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('throws a refused request as such, once every contact has settled', async () => {
    const slow = nock(PDL)
      .get(ENRICH)
      .query({ email: 'slow@example.com', min_likelihood: '6' })
      .delay(30)
      .reply(200, SEAN)
      .get(ENRICH)
      .query({ email: 'bad@example.com', min_likelihood: '6' })
      .reply(400, { status: 400, error: { type: 'invalid_request_error', message: 'bad' } });
    const error = await failure(provider().findCandidates([{ email: 'slow@example.com' }, { email: 'bad@example.com' }]));
    expect(error).toBeInstanceOf(ProviderRequestError);
    expect(slow.isDone()).toBe(true);
  });
});

describe('PeopleDataLabsProvider: configuration', () => {
  it.each([
    [{ apiKey: '' }, 'people-data-labs: apiKey is required'],
    [{ apiKey: 'key with space' }, 'people-data-labs: apiKey contains whitespace or quotes'],
    [{ apiKey: API_KEY, baseUrl: 'ftp://api.peopledatalabs.com' }, 'people-data-labs: baseUrl must be an http(s) URL'],
    [{ apiKey: API_KEY, baseUrl: 'not a url' }, 'people-data-labs: baseUrl is not a URL'],
    [{ apiKey: API_KEY, minLikelihood: 11 }, 'people-data-labs: minLikelihood must be a whole number from 1 to 10'],
    [{ apiKey: API_KEY, settings: { maxConcurrent: -1 } }, 'people-data-labs: settings.maxConcurrent must be a whole number >= 1 (got -1)'],
    [{ apiKey: API_KEY, settings: { requestsPerSecond: 0 } }, 'people-data-labs: settings.requestsPerSecond must be a number greater than 0'],
    [{ apiKey: API_KEY, settings: { timeoutMs: Number.NaN } }, 'people-data-labs: settings.timeoutMs must be a number >= 1'],
    [{ apiKey: API_KEY, settings: { retries: 3 } as never }, 'people-data-labs: settings.retries is not a setting'],
  ])('rejects %j', (options, message) => {
    expect(() => new PeopleDataLabsProvider(options as PeopleDataLabsOptions)).toThrow(message);
  });

  it('never puts the API key in a configuration error', () => {
    expect(() => new PeopleDataLabsProvider({ apiKey: `${API_KEY}\n` })).toThrow(/^(?!.*pdl-test-key).*$/su);
  });
});
