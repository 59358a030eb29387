import { randomUUID } from 'node:crypto';
import type { Logger, ScheduledHandler } from '@refinery/runtime';
import type { ScheduledEvent } from 'aws-lambda';
import { LOCAL_ACCOUNT, LOCAL_REGION, lambdaContext } from './lambda-shapes';
import type { StorageHealth } from './storage-health';

export interface ScheduleRunnerOptions {
  readonly functionName: string;
  readonly handler: ScheduledHandler;
  readonly intervalMs: number;
  readonly functionTimeoutMs: number;
  readonly logger: Logger;
  /** The data dir's health: no run while it cannot be written (a sweep must not fail jobs that a full disk paused). */
  readonly storage?: StorageHealth;
}

/**
 * The local EventBridge schedule: calls a scheduled function every interval with a Scheduled Event, as Lambda would.
 * A run still going when the next is due is not doubled (the next waits for the one after); a failed run is logged and
 * the schedule goes on. The timer does not keep the process alive.
 */
export class ScheduleRunner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: ScheduleRunnerOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One run now (unless one is running): what the timer does, and what tests call. */
  async runOnce(): Promise<void> {
    if (this.running) return;
    if (this.options.storage?.fault) {
      this.options.logger.debug({ functionName: this.options.functionName }, 'scheduled run skipped: the data dir cannot be written');
      return;
    }
    const event: ScheduledEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: LOCAL_ACCOUNT,
      time: new Date().toISOString(),
      region: LOCAL_REGION,
      resources: [`arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${this.options.functionName}`],
      detail: {},
    };
    this.running = this.options
      .handler(event, lambdaContext(this.options.functionName, this.options.functionTimeoutMs))
      .catch((error: unknown) => this.options.logger.error({ err: error, functionName: this.options.functionName }, 'scheduled run failed'))
      .finally(() => {
        this.running = undefined;
      });
    await this.running;
  }
}
