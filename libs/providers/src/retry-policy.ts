// Which failures are worth another attempt, and how long to wait before it.

// 429: we were too fast; 5xx: the provider failed. Any other 4xx is a fault in our request, which the same
// request repeated cannot fix.
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

export interface BackoffSettings {
  backoffBaseMs: number;
  backoffCapMs: number;
}

// Exponential backoff with full jitter (random between 0 and the exponential step): callers that failed together
// spread out instead of retrying in lock-step. `retry` counts from 1 (the wait before the second attempt).
export function backoffDelayMs(retry: number, settings: BackoffSettings, random: () => number): number {
  const ceiling = Math.min(settings.backoffCapMs, settings.backoffBaseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

// The wait before the next attempt: never shorter than what the provider asked for (Retry-After), otherwise the
// jittered backoff. Whether the provider's wait is acceptable at all is the caller's decision (maxRetryAfterMs).
export function retryDelayMs(retry: number, retryAfterMs: number | undefined, settings: BackoffSettings, random: () => number): number {
  const backoff = backoffDelayMs(retry, settings, random);
  return retryAfterMs === undefined ? backoff : Math.max(retryAfterMs, backoff);
}
