import { FakeSleepClock as FakeClock } from '@refinery/test-support';
import { RateLimiter } from '../src';
import { type Deferred, deferred, settle } from './settle';

describe('RateLimiter', () => {
  it('never runs more than maxConcurrent tasks at once, and starts the next as soon as one ends', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 1000, maxConcurrent: 2, clock });
    let running = 0;
    let mostRunning = 0;
    const gates: Array<Deferred<void>> = [];
    const runs = Array.from({ length: 6 }, (_unused, index) =>
      limiter.run(async () => {
        running += 1;
        mostRunning = Math.max(mostRunning, running);
        const gate = deferred();
        gates[index] = gate;
        await gate.promise;
        running -= 1;
        return index;
      }),
    );
    await settle();
    expect(running).toBe(2);
    expect(limiter.queuedCount).toBe(4);
    gates[0]?.resolve();
    await settle();
    expect(running).toBe(2);
    expect(gates[2]).toBeDefined();
    expect(gates[3]).toBeUndefined();
    for (let index = 1; index < 6; index += 1) {
      gates[index]?.resolve();
      await settle();
    }
    await expect(Promise.all(runs)).resolves.toEqual([0, 1, 2, 3, 4, 5]);
    expect(mostRunning).toBe(2);
    expect(limiter.activeCount).toBe(0);
  });

  it('frees the slot when a task fails', async () => {
    const limiter = new RateLimiter({ requestsPerSecond: 1000, maxConcurrent: 1, clock: new FakeClock() });
    await expect(limiter.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(async () => 'next')).resolves.toBe('next');
    expect(limiter.activeCount).toBe(0);
  });

  it('lets a burst of one second through, then spaces requests at the rate', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const limiter = new RateLimiter({ requestsPerSecond: 2, maxConcurrent: 10, clock });
    const startedAt: number[] = [];
    await Promise.all(Array.from({ length: 5 }, () => limiter.run(async () => void startedAt.push(clock.now() - start))));
    expect(startedAt).toEqual([0, 0, 500, 1000, 1500]);
    expect(clock.sleeps).toEqual([500, 500, 500]);
  });

  it('refills while idle, but never beyond one second worth', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 4, maxConcurrent: 10, clock });
    await Promise.all(Array.from({ length: 4 }, () => limiter.run(async () => undefined)));
    expect(clock.sleeps).toEqual([]);
    clock.advance(60_000);
    const resumedAt = clock.now();
    const startedAt: number[] = [];
    await Promise.all(Array.from({ length: 6 }, () => limiter.run(async () => void startedAt.push(clock.now() - resumedAt))));
    expect(startedAt).toEqual([0, 0, 0, 0, 250, 500]);
  });

  it('serves waiting callers first come, first served', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 1, maxConcurrent: 1, clock });
    const order: string[] = [];
    const first = deferred();
    const running = limiter.run(async () => {
      order.push('a');
      await first.promise;
    });
    await settle();
    const queued = ['b', 'c', 'd', 'e'].map((name) => limiter.run(async () => void order.push(name)));
    await settle();
    expect(order).toEqual(['a']);
    first.resolve();
    // A caller arriving just as the slot frees up still queues behind the ones already waiting.
    const late = limiter.run(async () => void order.push('late'));
    await Promise.all([running, ...queued, late]);
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e', 'late']);
    expect(clock.sleeps).toEqual([1000, 1000, 1000, 1000, 1000]);
  });

  it('holds every waiting request while paused', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 100, maxConcurrent: 5, clock });
    const start = clock.now();
    limiter.pauseFor(3000);
    const startedAt: number[] = [];
    await Promise.all([1, 2].map(() => limiter.run(async () => void startedAt.push(clock.now() - start))));
    expect(startedAt).toEqual([3000, 3000]);
    expect(clock.sleeps).toEqual([3000]);
  });
});
