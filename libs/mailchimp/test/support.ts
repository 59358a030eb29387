import type { MailchimpGate } from '../src';

// Time that moves only when something sleeps: the shared test clock.
export { FakeSleepClock as FakeClock } from '@refinery/test-support';

/** A gate that lets everything through and records each call: the key, and how many tasks were inside at once. */
export class RecordingGate implements MailchimpGate {
  readonly keys: string[] = [];
  inside = 0;
  maxInside = 0;

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    this.keys.push(key);
    this.inside += 1;
    this.maxInside = Math.max(this.maxInside, this.inside);
    try {
      return await task();
    } finally {
      this.inside -= 1;
    }
  }
}

/** An in-process keyed semaphore: at most `limit` tasks per key at once (what the shared gate guarantees). */
export class KeyedSemaphore implements MailchimpGate {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();
  maxActive = 0;

  constructor(private readonly limit: number) {}

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    if ((this.active.get(key) ?? 0) >= this.limit) {
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(key) ?? [];
        queue.push(resolve);
        this.waiting.set(key, queue);
      });
    } else {
      this.active.set(key, (this.active.get(key) ?? 0) + 1);
    }
    this.maxActive = Math.max(this.maxActive, this.active.get(key) ?? 0);
    try {
      return await task();
    } finally {
      const next = this.waiting.get(key)?.shift();
      if (next)
        next(); // the slot passes straight to the next waiter
      else this.active.set(key, (this.active.get(key) ?? 1) - 1);
    }
  }
}
