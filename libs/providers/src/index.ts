export type { ProviderCallSettings } from './call-settings';
export { DEFAULT_PROVIDER_CALL_SETTINGS, resolveCallSettings } from './call-settings';
export type { ChainSizing, ChainSizingOptions, RemoteProviderSizing } from './chain-sizing';
export {
  CHUNK_TIME_SHARE,
  IN_MEMORY_CHAIN_CONCURRENCY,
  MAX_CHUNK_ROWS,
  MAX_MAXIMUM_CONCURRENCY,
  MIN_MAXIMUM_CONCURRENCY,
  sizeProviderChain,
} from './chain-sizing';
export type { CircuitBreakerOptions, CircuitObserver, CircuitState, CircuitTransition } from './circuit-breaker';
export { CircuitBreaker } from './circuit-breaker';
export type { CircuitRecord, CircuitRecorderOptions, CircuitRecordLogger, CircuitWriter } from './circuit-record';
export { CIRCUIT_PARTITION, CircuitRecorder, readCircuitRecords, thisCircuitWriter } from './circuit-record';
export type { Clock } from './clock';
export { realClock } from './clock';
export type { ProviderUnavailableOptions } from './errors';
export {
  isProviderUnavailable,
  ProviderBatchError,
  ProviderRequestError,
  ProviderResponseError,
  ProviderUnavailableError,
} from './errors';
export { findEachContact } from './find-each-contact';
export type { HttpTemplateProviderConfig } from './http-template-provider';
export { DEFAULT_MAX_CANDIDATES, HttpTemplateProvider } from './http-template-provider';
export type { PeopleDataLabsOptions } from './people-data-labs-provider';
export {
  DEFAULT_MIN_LIKELIHOOD,
  enrichmentQuery,
  fieldsFromPersonRecord,
  PEOPLE_DATA_LABS,
  PEOPLE_DATA_LABS_BASE_URL,
  PeopleDataLabsProvider,
  parseRateLimitReset,
} from './people-data-labs-provider';
export type { ProviderChainConfig, ProviderChainContext } from './provider-chain-config';
export { buildProviderChain, DEFAULT_PROVIDER_CHAIN, parseProviderChain, providerChainSchema } from './provider-chain-config';
export type { ProviderHttpAnswer, ProviderHttpClientOptions, ProviderHttpRequest } from './provider-http-client';
export { ProviderHttpClient } from './provider-http-client';
export type { RateLimiterOptions } from './rate-limiter';
export { RateLimiter } from './rate-limiter';
export { parseRetryAfter, retryAfterFromHeaders } from './retry-after';
export type { BackoffSettings } from './retry-policy';
export { backoffDelayMs, isRetryableStatus, retryDelayMs } from './retry-policy';
export type { SharedRateLimitOptions } from './shared-rate-limit';
export { SHARED_RATE_PARTITION_PREFIX, SharedRateLimit } from './shared-rate-limit';
