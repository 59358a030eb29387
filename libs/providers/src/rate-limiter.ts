import { type Clock, withRealClock } from './clock';

export interface RateLimiterOptions {
  // Sustained rate. The bucket holds one second's worth (at least one request), so a quiet limiter lets a small
  // burst through at once and then spaces requests evenly: smooth, and never above the rate over any second.
  requestsPerSecond: number;
  // Requests in flight at once, whatever the rate: a slow provider must not pile up open connections.
  maxConcurrent: number;
  clock?: Partial<Clock>;
}

// One per provider: every request to that provider goes through it. Waiting callers are served strictly in
// arrival order, so a contact queued first is never starved by later ones.
export class RateLimiter {
  private readonly rate: number;
  private readonly capacity: number;
  private readonly maxConcurrent: number;
  private readonly clock: Clock;
  private tokens: number;
  private refilledAt: number;
  private inFlight = 0;
  private pausedUntil = 0;
  private readonly waiting: Array<() => void> = [];
  // Only one loop hands out slots, so the order of `waiting` is the order of service.
  private pumping = false;

  constructor(options: RateLimiterOptions) {
    this.rate = options.requestsPerSecond;
    this.capacity = Math.max(1, options.requestsPerSecond);
    this.maxConcurrent = options.maxConcurrent;
    this.clock = withRealClock(options.clock);
    this.tokens = this.capacity;
    this.refilledAt = this.clock.now();
  }

  // Runs `task` once it has both a token and a concurrency slot; the slot is freed when the task settles.
  async run<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }

  // Waits for a token and a slot. Call the returned function exactly once to give the slot back.
  async acquire(): Promise<() => void> {
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      void this.pump();
    });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight -= 1;
      void this.pump();
    };
  }

  // The provider told us to stay away (429 with Retry-After): hold every waiting request, not just the one that was
  // refused, since the others would be refused too.
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }

  get activeCount(): number {
    return this.inFlight;
  }

  get queuedCount(): number {
    return this.waiting.length;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.refilledAt);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.rate) / 1000);
    this.refilledAt = now;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiting.length > 0 && this.inFlight < this.maxConcurrent) {
        const now = this.clock.now();
        if (now < this.pausedUntil) {
          await this.clock.sleep(this.pausedUntil - now);
          continue;
        }
        this.refill(now);
        if (this.tokens < 1) {
          await this.clock.sleep(Math.ceil(((1 - this.tokens) * 1000) / this.rate));
          continue;
        }
        this.tokens -= 1;
        this.inFlight += 1;
        this.waiting.shift()?.();
      }
    } finally {
      this.pumping = false;
    }
  }
}
