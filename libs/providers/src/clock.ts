// Time as the limiter, the retry policy and the circuit breaker see it. Injected in tests so that waiting a
// minute for a Retry-After takes no time and every wait can be asserted.
export interface Clock {
  // Milliseconds since the epoch.
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

// Fill in whatever a caller did not inject.
export function withRealClock(clock: Partial<Clock> | undefined): Clock {
  return { now: clock?.now ?? realClock.now, sleep: clock?.sleep ?? realClock.sleep };
}
