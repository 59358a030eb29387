export { DEFAULT_PROVIDER_CALL_SETTINGS, resolveCallSettings } from './call-settings';
export type { ProviderCallSettings } from './call-settings';
export { realClock } from './clock';
export type { Clock } from './clock';
export {
  ProviderBatchError,
  ProviderRequestError,
  ProviderResponseError,
  ProviderUnavailableError,
  isProviderUnavailable,
} from './errors';
export type { ProviderUnavailableOptions } from './errors';
export { RateLimiter } from './rate-limiter';
export type { RateLimiterOptions } from './rate-limiter';
export { backoffDelayMs, isRetryableStatus, retryDelayMs } from './retry-policy';
export type { BackoffSettings } from './retry-policy';
export { parseRetryAfter, retryAfterFromHeaders } from './retry-after';
export { CircuitBreaker } from './circuit-breaker';
export type { CircuitBreakerOptions, CircuitState } from './circuit-breaker';
export { ProviderHttpClient } from './provider-http-client';
export type { ProviderHttpAnswer, ProviderHttpClientOptions, ProviderHttpRequest } from './provider-http-client';
export { findEachContact } from './find-each-contact';
export {
  DEFAULT_MIN_LIKELIHOOD,
  PEOPLE_DATA_LABS,
  PEOPLE_DATA_LABS_BASE_URL,
  PeopleDataLabsProvider,
  enrichmentQuery,
  fieldsFromPersonRecord,
  parseRateLimitReset,
} from './people-data-labs-provider';
export type { PeopleDataLabsOptions } from './people-data-labs-provider';
export { DEFAULT_MAX_CANDIDATES, HttpTemplateProvider } from './http-template-provider';
export type { HttpTemplateProviderConfig } from './http-template-provider';
export { DEFAULT_PROVIDER_CHAIN, buildProviderChain, parseProviderChain, providerChainSchema } from './provider-chain-config';
export type { ProviderChainConfig, ProviderChainContext } from './provider-chain-config';
