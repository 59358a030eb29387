import { DEFAULT_PROVIDER_CHAIN, type ProviderChainConfig, parseProviderChain, sizeProviderChain } from '../src';

const TIMEOUT = { timeoutSeconds: 900 };
const pdl = (settings: Record<string, number> = {}) => ({ type: 'people-data-labs' as const, apiKeyEnv: 'PDL_API_KEY', settings });
const http = (name: string, settings: Record<string, number>) => ({
  type: 'http' as const,
  name,
  urlTemplate: 'https://crm.example.com/people?email={email}',
  idField: 'id',
  settings,
});

describe('sizeProviderChain: the matcher concurrency and the largest chunk a chain allows', () => {
  it('the directory alone: no rate to share, 100 containers and chunks up to 100,000 rows', () => {
    expect(sizeProviderChain(DEFAULT_PROVIDER_CHAIN, TIMEOUT)).toEqual({
      maximumConcurrency: 100,
      maxChunkRows: 100_000,
      budgetSeconds: 450,
      remoteProviders: [],
    });
  });

  it('People Data Labs at its defaults (10 requests/s, 5 in flight, 1 s each): 2 containers, 5 rows/s each, 2,250 rows in half of 900 s', () => {
    const sizing = sizeProviderChain({ providers: [pdl()] }, TIMEOUT);
    expect(sizing).toEqual({
      maximumConcurrency: 2,
      maxChunkRows: 2_250,
      budgetSeconds: 450,
      remoteProviders: [{ provider: 'people-data-labs', requestsPerSecond: 10, containersToUseRate: 2, rowsPerSecondPerInvocation: 5 }],
    });
  });

  it('enough containers to use the rate, no more: 100 requests/s at 200 ms with 5 in flight takes 4 containers of 25 requests/s', () => {
    const sizing = sizeProviderChain({ providers: [http('crm', { requestsPerSecond: 100, latencyMs: 200, maxConcurrent: 5 })] }, TIMEOUT);
    expect(sizing.maximumConcurrency).toBe(4);
    expect(sizing.remoteProviders[0]?.rowsPerSecondPerInvocation).toBe(25);
    expect(sizing.maxChunkRows).toBe(450 * 25);
  });

  it('a row may be asked of every remote provider in turn: their seconds per row add up; the concurrency is the largest need', () => {
    const chain: ProviderChainConfig = {
      providers: [{ type: 'directory' }, http('crm', { requestsPerSecond: 100, latencyMs: 200, maxConcurrent: 5 }), pdl()],
    };
    const sizing = sizeProviderChain(chain, TIMEOUT);
    expect(sizing.maximumConcurrency).toBe(4);
    // With 4 containers: crm 25 rows/s each, PDL 10 / 4 = 2.5 rows/s each; 1/25 + 1/2.5 = 0.44 s a row.
    expect(sizing.remoteProviders.map((provider) => provider.rowsPerSecondPerInvocation)).toEqual([25, 2.5]);
    expect(sizing.maxChunkRows).toBe(Math.floor(450 / (1 / 25 + 1 / 2.5)));
  });

  it('a concurrency set by the deployment divides the rate among that many containers: smaller chunks', () => {
    expect(sizeProviderChain({ providers: [pdl()] }, { ...TIMEOUT, maximumConcurrency: 20 })).toMatchObject({
      maximumConcurrency: 20,
      // 10 requests/s among 20 containers: 0.5 rows/s each, 225 rows in 450 s.
      maxChunkRows: 225,
    });
  });

  it('stays within what SQS takes (2 to 1,000 containers) and what a chunk may hold (1 to 100,000 rows)', () => {
    expect(sizeProviderChain({ providers: [pdl({ requestsPerSecond: 0.5 })] }, TIMEOUT)).toMatchObject({ maximumConcurrency: 2 });
    expect(sizeProviderChain({ providers: [pdl({ requestsPerSecond: 0.001 })] }, TIMEOUT)).toMatchObject({ maxChunkRows: 1 });
    // 20,000 containers would be needed; at 1,000 each still sends only what its 5 in flight allow.
    expect(sizeProviderChain({ providers: [pdl({ requestsPerSecond: 100_000 })] }, TIMEOUT)).toMatchObject({
      maximumConcurrency: 1_000,
      maxChunkRows: 2_250,
    });
    const fast = http('fast', { requestsPerSecond: 1_000, maxConcurrent: 1_000, latencyMs: 100 });
    expect(sizeProviderChain({ providers: [fast] }, TIMEOUT)).toMatchObject({ maximumConcurrency: 2, maxChunkRows: 100_000 });
  });

  it('takes latencyMs from the chain as written, and refuses a bad one naming it', () => {
    const chain = parseProviderChain(JSON.stringify({ providers: [pdl({ latencyMs: 500 })] }), 'providers.json');
    // 5 in flight at 500 ms: 10 requests/s from one container, so 1 would do; SQS's least is 2.
    expect(sizeProviderChain(chain, TIMEOUT)).toMatchObject({ maximumConcurrency: 2, maxChunkRows: 2_250 });
    expect(() => sizeProviderChain({ providers: [pdl({ latencyMs: 0 })] }, TIMEOUT)).toThrow(
      'people-data-labs: settings.latencyMs must be a number >= 1 (got 0)',
    );
  });
});
