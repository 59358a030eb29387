// When a failed message comes back. Left alone, SQS brings it back after the queue's visibility timeout — 90 minutes
// on the matcher's queue, sized for a 15-minute function — so a provider's 429 or a 2-minute outage would cost hours.
// Instead every failed delivery sets its message's visibility (ChangeMessageVisibility) to a backoff: 10 s, 20 s,
// 40 s, 80 s, ... (plus up to a quarter more, so chunks that failed together do not come back together), never sooner
// than the provider's Retry-After, never later than the queue's visibility timeout (a crashed delivery would be back
// by then anyway). The last allowed delivery comes back at once, so it reaches the dead-letter queue (and its report)
// without waiting.

/** The first retry's delay; each next one doubles. */
export const RETRY_FIRST_DELAY_SECONDS = 10;
/** Up to this fraction is added at random to each delay. */
export const RETRY_JITTER = 0.25;
/** SQS's longest visibility timeout. */
const MAX_VISIBILITY_SECONDS = 43_200;

export interface RetryDelayInput {
  /** ApproximateReceiveCount of the delivery that failed: 1 for the first. */
  readonly receiveCount: number;
  readonly maxReceiveCount: number;
  /** The queue's visibility timeout: no delay is longer. */
  readonly visibilityTimeoutSeconds: number;
  /** How long the failure asked us to wait (a provider's Retry-After, an open circuit), when it said. */
  readonly retryAfterMs?: number;
  /** In [0, 1); default Math.random. */
  readonly random?: () => number;
}

/** Seconds until a failed message should be delivered again. */
export function retryDelaySeconds(input: RetryDelayInput): number {
  if (input.receiveCount >= input.maxReceiveCount) return 0;
  const random = input.random ?? Math.random;
  const exponent = Math.min(Math.max(input.receiveCount, 1) - 1, 20);
  const backoff = RETRY_FIRST_DELAY_SECONDS * 2 ** exponent * (1 + RETRY_JITTER * random());
  const asked = input.retryAfterMs !== undefined && Number.isFinite(input.retryAfterMs) ? input.retryAfterMs / 1000 : 0;
  const ceiling = Math.min(input.visibilityTimeoutSeconds, MAX_VISIBILITY_SECONDS);
  return Math.min(Math.ceil(Math.max(backoff, asked)), ceiling);
}

/**
 * How long an error asks us to wait before trying again: its `retryAfterMs` when it has one (the providers'
 * ProviderUnavailableError does, from Retry-After or an open circuit), its cause's otherwise.
 */
export function retryAfterMsOf(error: unknown): number | undefined {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth += 1) {
    const value = (current as { retryAfterMs?: unknown }).retryAfterMs;
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A failed message of a batch, and how long it should stay hidden before it is delivered again. */
export interface BatchItemRetry {
  readonly itemIdentifier: string;
  readonly delaySeconds: number;
}
