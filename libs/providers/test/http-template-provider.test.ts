import { FakeSleepClock as FakeClock, useNock } from '@refinery/test-support';
import nock from 'nock';
import { HttpTemplateProvider, type HttpTemplateProviderConfig, ProviderRequestError, ProviderResponseError } from '../src';

useNock(nock);

const DIR = 'https://dir.internal';
const BY_EMAIL = `${DIR}/people?email={email}`;
const BY_NAME_AND_POSTCODE = `${DIR}/people?last={last_name}&zip={postcode}`;

function directory(config: Partial<HttpTemplateProviderConfig> = {}) {
  return new HttpTemplateProvider({
    name: 'hr-directory',
    urlTemplate: [BY_EMAIL, BY_NAME_AND_POSTCODE],
    idField: 'id',
    clock: new FakeClock(),
    random: () => 0,
    ...config,
    settings: { requestsPerSecond: 1000, ...config.settings },
  });
}

describe('HttpTemplateProvider: which URL', () => {
  it('uses the first template whose placeholders all have values', () => {
    const provider = directory();
    expect(provider.urlFor({ email: 'ana@example.com', last_name: 'Lopez', postcode: '94105' })).toBe(`${DIR}/people?email=ana%40example.com`);
    expect(provider.urlFor({ email: '', last_name: 'Lopez', postcode: '94105' })).toBe(`${DIR}/people?last=Lopez&zip=94105`);
    expect(provider.urlFor({ last_name: 'Lopez' })).toBeUndefined();
  });

  it('asks nothing, and answers no candidates, for a contact no template fits', async () => {
    // Net connect is disabled and no interceptor is set: a request would fail the batch.
    await expect(directory().findCandidates([{ first_name: 'Ana' }])).resolves.toEqual([[]]);
  });

  it('with a single template, leaves an empty field empty', () => {
    const provider = directory({ urlTemplate: `${DIR}/search?last={last_name}&first={first_name}` });
    expect(provider.urlFor({ last_name: 'Lopez' })).toBe(`${DIR}/search?last=Lopez&first=`);
  });

  it('URL-encodes values', async () => {
    const provider = directory({ urlTemplate: [BY_NAME_AND_POSTCODE, BY_EMAIL] });
    const contact = { last_name: "O'Brien & Søn/Co?", postcode: 'SW1A 1AA', email: 'x+y@example.com' };
    expect(provider.urlFor(contact)).toBe(`${DIR}/people?last=O'Brien%20%26%20S%C3%B8n%2FCo%3F&zip=SW1A%201AA`);
    const scope = nock(DIR).get('/people').query({ last: "O'Brien & Søn/Co?", zip: 'SW1A 1AA' }).reply(200, []);
    await expect(provider.findCandidates([contact])).resolves.toEqual([[]]);
    expect(scope.isDone()).toBe(true);
  });
});

describe('HttpTemplateProvider: answers', () => {
  it('reads records at candidatesPath through fieldMap, standardized, with scaled confidence', async () => {
    const scope = nock(DIR)
      .get('/people')
      .query({ email: 'ana@example.com' })
      .matchHeader('authorization', 'Bearer directory-token-123456')
      .reply(200, {
        result: {
          people: [
            {
              person_id: 4711,
              name: { given: 'Ana', family: 'López' },
              contact: { email: 'ANA@Example.com', phone: '020 7946 0000' },
              address: { zip: 'sw1a 1aa', country: 'United Kingdom' },
              city: 'London',
              title: 'Engineer',
              match: { score: 87 },
            },
            { person_id: 'b-2', name: { given: 'Ana', family: 'Lopes' }, match: { score: '40' } },
          ],
        },
      });
    const provider = directory({
      headers: { Authorization: 'Bearer directory-token-123456' },
      candidatesPath: 'result.people',
      idField: 'person_id',
      fieldMap: {
        first_name: 'name.given',
        last_name: 'name.family',
        email: 'contact.email',
        phone: 'contact.phone',
        postcode: 'address.zip',
        country: 'address.country',
      },
      confidenceField: 'match.score',
      confidenceScale: 100,
    });
    const [candidates] = await provider.findCandidates([{ email: 'ana@example.com' }]);
    expect(scope.isDone()).toBe(true);
    expect(candidates).toEqual([
      {
        id: '4711',
        confidence: 0.87,
        fields: {
          first_name: 'Ana',
          last_name: 'López',
          email: 'ana@example.com',
          // A national number read in the record's country, not the US default.
          phone: '+442079460000',
          city: 'London',
          title: 'Engineer',
          postcode: 'SW1A 1AA',
          country: 'GB',
        },
      },
      { id: 'b-2', confidence: 0.4, fields: { first_name: 'Ana', last_name: 'Lopes' } },
    ]);
  });

  it('accepts a response that is itself an array, with same-named properties and confidence in [0, 1]', async () => {
    nock(DIR)
      .get('/people')
      .query(true)
      .reply(200, [{ id: 'p1', first_name: 'Ana', last_name: 'Lopez', email: 'ana@example.com', state: 'california', score: 0.9 }]);
    const [candidates] = await directory({ confidenceField: 'score' }).findCandidates([{ email: 'ana@example.com' }]);
    expect(candidates).toEqual([
      { id: 'p1', confidence: 0.9, fields: { first_name: 'Ana', last_name: 'Lopez', email: 'ana@example.com', state: 'CA' } },
    ]);
  });

  it('keeps only the first maxCandidates records', async () => {
    nock(DIR)
      .get('/people')
      .query(true)
      .reply(200, [{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    const [candidates] = await directory({ maxCandidates: 2 }).findCandidates([{ email: 'ana@example.com' }]);
    expect(candidates?.map((candidate) => candidate.id)).toEqual(['a', 'b']);
  });

  it('answers no candidates on 404, and on a null list', async () => {
    nock(DIR)
      .get('/people')
      .query({ email: 'a@example.com' })
      .reply(404, { error: 'not found' })
      .get('/people')
      .query({ email: 'b@example.com' })
      .reply(200, { data: null });
    const provider = directory({ candidatesPath: 'data' });
    await expect(provider.findCandidates([{ email: 'a@example.com' }, { email: 'b@example.com' }])).resolves.toEqual([[], []]);
  });

  it('reports a response it cannot read', async () => {
    nock(DIR)
      .get('/people')
      .query({ email: 'a@example.com' })
      .reply(200, { data: { people: [] } })
      .get('/people')
      .query({ email: 'b@example.com' })
      .reply(200, [{ name: 'no id' }])
      .get('/people')
      .query({ email: 'c@example.com' })
      .reply(200, '<html>login</html>');
    await expect(directory({ candidatesPath: 'data' }).findCandidates([{ email: 'a@example.com' }])).rejects.toThrow(
      'hr-directory answered without an array of records at candidatesPath "data"',
    );
    await expect(directory().findCandidates([{ email: 'b@example.com' }])).rejects.toThrow('without an id at idField "id"');
    await expect(directory().findCandidates([{ email: 'c@example.com' }])).rejects.toThrow(ProviderResponseError);
  });
});

describe('HttpTemplateProvider: configuration', () => {
  it.each<[Partial<HttpTemplateProviderConfig>, string]>([
    [{ name: '' }, 'HttpTemplateProvider: name is required'],
    [{ urlTemplate: `${DIR}/people?mail={e_mail}` }, 'hr-directory: urlTemplate has an unknown placeholder {e_mail}'],
    [{ urlTemplate: [BY_EMAIL, `${DIR}/people?zip={zip}`] }, 'hr-directory: urlTemplate[1] has an unknown placeholder {zip}'],
    [{ urlTemplate: 'ftp://dir.internal/people?email={email}' }, 'hr-directory: urlTemplate must be an http(s) URL'],
    [{ urlTemplate: 'dir.internal/people?email={email}' }, 'hr-directory: urlTemplate is not a URL'],
    [{ urlTemplate: 'https://{last_name}.dir.internal/people' }, 'hr-directory: urlTemplate has a placeholder in the scheme, host or port'],
    [{ urlTemplate: `${DIR}/people?email={email` }, 'hr-directory: urlTemplate has an unbalanced brace'],
    [{ urlTemplate: [] }, 'hr-directory: urlTemplate is an empty list'],
    [{ idField: '' }, 'hr-directory: idField must be a property name or dotted path'],
    [{ candidatesPath: 'data..people' }, 'hr-directory: candidatesPath must be a property name or dotted path'],
    [{ fieldMap: { surname: 'last' } as never }, 'hr-directory: fieldMap.surname is not a canonical field'],
    [{ method: 'POST' as never }, 'hr-directory: method must be GET'],
    [{ confidenceScale: 10 as never }, 'hr-directory: confidenceScale must be 1 or 100'],
    [{ maxCandidates: 0 }, 'hr-directory: maxCandidates must be a whole number >= 1'],
    [{ settings: { maxAttempts: 0 } }, 'hr-directory: settings.maxAttempts must be a whole number >= 1 (got 0)'],
    [{ settings: { circuitCooldownMs: -5 } }, 'hr-directory: settings.circuitCooldownMs must be a number >= 0 (got -5)'],
    [
      { settings: { backoffBaseMs: 500, backoffCapMs: 100 } },
      'hr-directory: settings.backoffCapMs (100) must not be below settings.backoffBaseMs (500)',
    ],
  ])('rejects %j', (config, message) => {
    expect(() => directory(config)).toThrow(message);
  });

  it('keeps header secrets out of errors', async () => {
    nock(DIR).get('/people').query(true).reply(403, 'token directory-token-123456 is not allowed');
    const provider = directory({ headers: { Authorization: 'Bearer directory-token-123456' } });
    const error: unknown = await provider.findCandidates([{ email: 'a@example.com' }]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderRequestError);
    expect((error as Error).message).toContain('hr-directory refused GET /people: HTTP 403');
    expect((error as Error).message).not.toContain('directory-token-123456');
  });
});
