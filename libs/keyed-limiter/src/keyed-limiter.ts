// The port callers depend on (the Mailchimp client takes a structural `{ run(key, task) }`), the lease a task is
// given, and the errors. The implementation shared by every instance is TableKeyedLimiter.

/** What a task learns about the slot it holds. Never contains the key itself, only its hash. */
export interface LeaseInfo {
  /** sha256 of the key, hex, first 32 characters: safe to log. */
  readonly keyHash: string;
  /** The slot held, 0 .. limit - 1. */
  readonly slot: number;
  /** Unique per acquisition. */
  readonly leaseId: string;
  /** The limiter instance holding the lease. */
  readonly holderId: string;
  /** When the slot was taken (epoch ms, limiter clock). */
  readonly acquiredAt: number;
  /** How long the caller waited for the slot (ms, limiter clock). */
  readonly waitedMs: number;
  /** The lease's current expiry as last written (epoch ms); moves on with every renewal. */
  readonly expiresAt: number;
  /**
   * True once a renewal (or the release) found the slot taken over by another holder: the lease had expired (this
   * process stalled for longer than leaseMs, or renewals kept failing). The task is left to finish; it may now be
   * one more than the limit.
   */
  readonly lost: boolean;
  /** Aborted when the lease is found lost (reason: LeaseLostError), for tasks that prefer to stop. */
  readonly signal: AbortSignal;
}

export interface RunOptions {
  /** Aborting while the caller still waits for a slot rejects with LimiterAbortedError and withdraws its ticket. */
  readonly signal?: AbortSignal;
}

export interface KeyedLimiter {
  /**
   * Waits for one of the key's slots, runs `task`, gives the slot back when the task settles (also when it throws),
   * and settles as the task did.
   */
  run<T>(key: string, task: (lease: LeaseInfo) => Promise<T>, options?: RunOptions): Promise<T>;
}

/** The caller's signal aborted before a slot was acquired. `cause` is the signal's reason. */
export class LimiterAbortedError extends Error {
  override readonly name = 'AbortError';
  constructor(
    readonly keyHash: string,
    options?: { cause?: unknown },
  ) {
    super(`keyed limiter: stopped waiting for a slot of key ${keyHash} (aborted)`, options);
  }
}

/** The reason of LeaseInfo.signal once a lease is found taken over. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(
    readonly keyHash: string,
    readonly slot: number,
  ) {
    super(`keyed limiter: the lease on slot ${slot} of key ${keyHash} expired and was taken over`);
  }
}
