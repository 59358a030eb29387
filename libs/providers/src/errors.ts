import type { Candidate } from '@refinery/matching';

// A brand survives two copies of this module in one process (bundles, test module registries), where
// `instanceof` alone would not: the caller deciding "retry this chunk later" must never misread the error.
const UNAVAILABLE = Symbol.for('@refinery/providers/ProviderUnavailableError');

export interface ProviderUnavailableOptions {
  // How long the provider asked us to stay away, when it said so (Retry-After, an open circuit).
  retryAfterMs?: number;
  cause?: unknown;
}

// "Try this chunk again later": the provider is down, slow, rate limiting us or behind an open circuit.
// Nothing is wrong with the data, so the caller must not mark the contacts as unmatched.
export class ProviderUnavailableError extends Error {
  readonly [UNAVAILABLE] = true;
  readonly provider: string;
  readonly retryAfterMs?: number;

  constructor(provider: string, message: string, options: ProviderUnavailableOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProviderUnavailableError';
    this.provider = provider;
    if (options.retryAfterMs !== undefined) {
      this.retryAfterMs = options.retryAfterMs;
    }
  }
}

export function isProviderUnavailable(error: unknown): error is ProviderUnavailableError {
  return typeof error === 'object' && error !== null && (error as { [UNAVAILABLE]?: unknown })[UNAVAILABLE] === true;
}

// Some contacts of a batch were answered before the provider became unavailable for the others. The caller keeps
// `answered` (index in the batch -> candidates) and asks again later only for `unanswered`.
export class ProviderBatchError extends ProviderUnavailableError {
  readonly answered: ReadonlyMap<number, Candidate[]>;
  readonly unanswered: readonly number[];

  constructor(provider: string, answered: ReadonlyMap<number, Candidate[]>, unanswered: readonly number[], options: ProviderUnavailableOptions = {}) {
    const total = answered.size + unanswered.length;
    // The first contact's own reason too: "unanswered" alone does not tell a user whether the provider timed out,
    // refused with 503s or asked for a longer wait than allowed.
    const why = options.cause instanceof Error ? `; first: ${options.cause.message}` : '';
    super(provider, `${provider} is unavailable: ${unanswered.length} of ${total} contacts unanswered, ${answered.size} answered${why}`, options);
    this.name = 'ProviderBatchError';
    this.answered = answered;
    this.unanswered = unanswered;
  }
}

// The provider refused our request (4xx other than 429): retrying the same request cannot help, and the chunk
// should not be retried either until the request, the configuration or the credentials are fixed.
export class ProviderRequestError extends Error {
  readonly provider: string;
  readonly status: number;
  // The start of the response body, secrets removed: enough to see what the provider objected to.
  readonly bodyExcerpt: string;

  constructor(provider: string, status: number, message: string, bodyExcerpt = '') {
    super(message);
    this.name = 'ProviderRequestError';
    this.provider = provider;
    this.status = status;
    this.bodyExcerpt = bodyExcerpt;
  }
}

// The provider answered with a success status but a body we cannot read (not JSON, not the documented shape):
// a contract change or a misconfigured adapter, not a transient failure.
export class ProviderResponseError extends Error {
  readonly provider: string;
  readonly status: number;

  constructor(provider: string, status: number, message: string) {
    super(message);
    this.name = 'ProviderResponseError';
    this.provider = provider;
    this.status = status;
  }
}
