// How long a provider asked us to wait, read from response headers. Undefined when it did not say (or said
// something unreadable): the retry policy then falls back to its own backoff.

const DELTA_SECONDS = /^\d+(?:\.\d+)?$/u;

// RFC 9110 Retry-After: delta-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT").
// A date in the past means "now".
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (DELTA_SECONDS.test(text)) {
    return Math.round(Number(text) * 1000);
  }
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

export function retryAfterFromHeaders(headers: Headers, nowMs: number): number | undefined {
  return parseRetryAfter(headers.get('retry-after'), nowMs);
}
