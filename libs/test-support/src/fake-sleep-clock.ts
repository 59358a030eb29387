/**
 * Time in epoch milliseconds that moves only when something sleeps: every wait is recorded and costs nothing. For code
 * that takes a `{ now(): number; sleep(ms): Promise<void> }` clock (provider clients, the Mailchimp client).
 */
export class FakeSleepClock {
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
