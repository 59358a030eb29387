import type { Clock } from '../src';

// Time that moves only when something sleeps: every wait is recorded and costs nothing.
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  time: number;

  constructor(start = Date.UTC(2025, 0, 6, 12, 0, 0)) {
    this.time = start;
  }

  now = (): number => this.time;

  // Time moves on a later turn of the event loop, after everything already under way has run (as it would in
  // real time), so a task started just before a sleep sees the time it really started at.
  sleep = (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    return new Promise((resolve) =>
      setImmediate(() => {
        this.time += ms;
        resolve();
      }),
    );
  };

  advance(ms: number): void {
    this.time += ms;
  }
}

// Lets every pending promise callback and I/O callback run.
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
