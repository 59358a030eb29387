import type { ContactProvider } from '@refinery/matching';
import { useNock } from '@refinery/test-support';
import nock from 'nock';
import { buildProviderChain, DEFAULT_PROVIDER_CHAIN, HttpTemplateProvider, PeopleDataLabsProvider, parseProviderChain } from '../src';

useNock(nock);

const directory: ContactProvider = { name: 'directory', inMemory: true, findCandidates: async (contacts) => contacts.map(() => []) };
const context = { directory: () => directory, env: { PDL_API_KEY: 'pdl-secret', CRM_TOKEN: 'crm-token-123' } };

describe('provider chain config', () => {
  it('builds the providers in the configured order, secrets from the environment', () => {
    const config = parseProviderChain(
      JSON.stringify({
        providers: [
          { type: 'people-data-labs', apiKeyEnv: 'PDL_API_KEY', minLikelihood: 7, settings: { requestsPerSecond: 1.5 } },
          {
            type: 'http',
            name: 'crm',
            urlTemplate: 'https://crm.test/people?email={email}',
            idField: 'id',
            headers: { authorization: 'Bearer ${CRM_TOKEN}' },
          },
          { type: 'directory' },
        ],
      }),
      'providers.json',
    );
    const chain = buildProviderChain(config, context);
    expect(chain.map((provider) => provider.name)).toEqual(['people-data-labs', 'crm', 'directory']);
    expect(chain[0]).toBeInstanceOf(PeopleDataLabsProvider);
    expect(chain[1]).toBeInstanceOf(HttpTemplateProvider);
    expect(chain[2]).toBe(directory);
  });

  it('sends header values with their environment variables filled in', async () => {
    const [crm] = buildProviderChain(
      parseProviderChain(
        {
          providers: [
            {
              type: 'http',
              name: 'crm',
              urlTemplate: 'https://crm.test/people?email={email}',
              idField: 'id',
              headers: { authorization: 'Bearer ${CRM_TOKEN}' },
            },
          ],
        },
        'test',
      ),
      context,
    );
    const scope = nock('https://crm.test', { reqheaders: { authorization: 'Bearer crm-token-123' } })
      .get('/people')
      .query({ email: 'ann@example.com' })
      .reply(200, [{ id: 'c1', first_name: 'Ann', last_name: 'Lee', email: 'ann@example.com' }]);
    const [candidates] = await crm!.findCandidates([{ first_name: 'Ann', last_name: 'Lee', email: 'ann@example.com' }]);
    expect(scope.isDone()).toBe(true);
    expect(candidates?.map((candidate) => candidate.id)).toEqual(['c1']);
  });

  it('defaults to the directory alone', () => {
    expect(buildProviderChain(DEFAULT_PROVIDER_CHAIN, context)).toEqual([directory]);
  });

  it('names every problem with its path', () => {
    expect(() => parseProviderChain('{"providers": [', 'providers.json')).toThrow(/^provider chain providers\.json: not JSON/);
    expect(() => parseProviderChain({ providers: [] }, 'PROVIDERS')).toThrow('provider chain PROVIDERS: providers: name at least one provider');
    expect(() => parseProviderChain({ providers: [{ type: 'people-data-labs', apiKey: 'inline-secret' }] }, 'f')).toThrow(/providers\.0\.apiKeyEnv/);
    expect(() => parseProviderChain({ providers: [{ type: 'fax' }] }, 'f')).toThrow(/providers\.0\.type/);
    expect(() => parseProviderChain({ providers: [{ type: 'directory' }, { type: 'directory' }] }, 'f')).toThrow(
      'provider "directory" appears twice',
    );
    expect(() => parseProviderChain({ providers: [{ type: 'directory' }], extra: 1 }, 'f')).toThrow(/extra/);
  });

  it('fails at start-up when a named secret is missing, without printing any secret', () => {
    const config = parseProviderChain({ providers: [{ type: 'people-data-labs', apiKeyEnv: 'MISSING_KEY' }] }, 'f');
    expect(() => buildProviderChain(config, context)).toThrow(
      'provider chain: providers.0.apiKeyEnv names the environment variable MISSING_KEY, which is not set',
    );
  });
});
