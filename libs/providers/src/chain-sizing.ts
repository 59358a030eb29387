import { resolveCallSettings } from './call-settings';
import { PEOPLE_DATA_LABS } from './people-data-labs-provider';
import type { ProviderChainConfig } from './provider-chain-config';

// How many matcher containers a provider chain can use, and how many rows one chunk may hold so that its invocation
// ends within the function's timeout with a margin. Both follow from each remote provider's call settings; the
// matcher's packaged event source and the chunk-size limit of ingest and the chunker are set from them
// (docs/deploy.md, "Matcher concurrency and chunk size").
//
// For each remote provider p (rate r_p requests a second shared by every container, maxConcurrent c_p requests in
// flight per container, latencyMs L_p per request; one request per row):
//   one container can send at most c_p / L_p requests a second, so using the whole rate takes
//   containers_p = ceil(r_p * L_p / c_p) containers; the maximum concurrency is the largest containers_p (at least 2,
//   SQS's least, at most 1,000);
//   with N containers sharing the rate, one invocation gets rows_p = min(c_p / L_p, r_p / N) rows a second; a row may
//   be asked of every remote provider in turn, so it takes sum_p 1 / rows_p seconds;
//   the largest chunk = floor(timeoutSeconds * CHUNK_TIME_SHARE / sum_p (1 / rows_p)), at most MAX_CHUNK_ROWS.
// A chain of in-memory providers only (the directory) has no rate: IN_MEMORY_CHAIN_CONCURRENCY containers, and
// chunks up to MAX_CHUNK_ROWS.

/** SQS event sources take a maximum concurrency from 2 to 1,000. */
export const MIN_MAXIMUM_CONCURRENCY = 2;
export const MAX_MAXIMUM_CONCURRENCY = 1_000;
/**
 * Containers for a chain with no remote provider: nothing outside limits it, so it is a share of Lambda's default
 * account concurrency (1,000) that leaves the other services room.
 */
export const IN_MEMORY_CHAIN_CONCURRENCY = 100;
/** The most rows a chunk may hold whatever the chain (jobs' `chunkRows` option). */
export const MAX_CHUNK_ROWS = 100_000;
/**
 * The share of the function's timeout a chunk's look-ups are planned to take at the provider's rate. The rest is the
 * margin: Retry-After pauses (up to maxRetryAfterMs), retries with backoff, a provider slower than its latencyMs,
 * reading the chunk and writing its result.
 */
export const CHUNK_TIME_SHARE = 0.5;

export interface RemoteProviderSizing {
  readonly provider: string;
  readonly requestsPerSecond: number;
  /** Containers that together can send requestsPerSecond: ceil(requestsPerSecond * latency / maxConcurrent). */
  readonly containersToUseRate: number;
  /** Rows a second one invocation gets from it when maximumConcurrency containers share its rate. */
  readonly rowsPerSecondPerInvocation: number;
}

export interface ChainSizing {
  /** The matcher's event-source maximum concurrency: the given one, else derived from the chain. */
  readonly maximumConcurrency: number;
  /** The largest chunk one matcher invocation finishes within CHUNK_TIME_SHARE of its timeout. */
  readonly maxChunkRows: number;
  /** The seconds of the timeout planned for a chunk's look-ups (the rest is margin). */
  readonly budgetSeconds: number;
  readonly remoteProviders: readonly RemoteProviderSizing[];
}

export interface ChainSizingOptions {
  /** The matcher function's timeout. */
  readonly timeoutSeconds: number;
  /** The concurrency the deployment runs with, when set apart from the chain (a deploy parameter); else derived. */
  readonly maximumConcurrency?: number;
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/** The matcher's concurrency and largest chunk for a provider chain (formula above). */
export function sizeProviderChain(chain: ProviderChainConfig, options: ChainSizingOptions): ChainSizing {
  const remote = chain.providers.flatMap((provider) => {
    if (provider.type === 'directory') return [];
    const name = provider.type === 'http' ? provider.name : PEOPLE_DATA_LABS;
    const settings = resolveCallSettings(name, provider.settings);
    const perContainer = settings.maxConcurrent / (settings.latencyMs / 1000);
    return [{ name, rate: settings.requestsPerSecond, perContainer }];
  });
  const derived =
    remote.length === 0
      ? IN_MEMORY_CHAIN_CONCURRENCY
      : Math.max(...remote.map((provider) => Math.ceil(provider.rate / provider.perContainer - 1e-9)));
  const maximumConcurrency = clamp(options.maximumConcurrency ?? derived, MIN_MAXIMUM_CONCURRENCY, MAX_MAXIMUM_CONCURRENCY);
  const budgetSeconds = options.timeoutSeconds * CHUNK_TIME_SHARE;
  const remoteProviders = remote.map((provider) => ({
    provider: provider.name,
    requestsPerSecond: provider.rate,
    containersToUseRate: Math.ceil(provider.rate / provider.perContainer - 1e-9),
    rowsPerSecondPerInvocation: Math.min(provider.perContainer, provider.rate / maximumConcurrency),
  }));
  const secondsPerRow = remoteProviders.reduce((sum, provider) => sum + 1 / provider.rowsPerSecondPerInvocation, 0);
  const maxChunkRows = secondsPerRow === 0 ? MAX_CHUNK_ROWS : clamp(Math.floor(budgetSeconds / secondsPerRow), 1, MAX_CHUNK_ROWS);
  return { maximumConcurrency, maxChunkRows, budgetSeconds, remoteProviders };
}
