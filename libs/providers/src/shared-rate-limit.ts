import { type Condition, ConditionFailedError, type Item, type ItemKey, type Table } from '@refinery/ports';
import { type Clock, withRealClock } from './clock';

export interface SharedRateLimitOptions {
  // A table every client of the provider reaches (the matcher's providerLimits table: DynamoDB on AWS, SQLite locally).
  table: Table;
  // Names the schedule: every client built with the same key shares one rate (the provider's name).
  key: string;
  requestsPerSecond: number;
  clock?: Partial<Clock>;
}

export const SHARED_RATE_PARTITION_PREFIX = 'provider-rate#';
const SCHEDULE_SORT_KEY = 'schedule';

// One provider's send schedule, shared by every container through one item: `nextAt` is the earliest moment (epoch
// ms) the next request may be sent. A caller reserves that moment with a conditional write (nextAt moves on by
// 1000 / requestsPerSecond) and waits for it, so the requests of all containers together are spaced at least one
// interval apart: never above the rate over any window, whatever the number of containers (the generic cell rate
// algorithm without burst). A 429's Retry-After moves nextAt on for everybody. Containers' clocks are NTP-synced on
// AWS: a skew of a few ms shifts a send by as much, never the rate.
export class SharedRateLimit {
  readonly key: string;
  private readonly table: Table;
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly itemKey: ItemKey;

  constructor(options: SharedRateLimitOptions) {
    if (!(options.requestsPerSecond > 0) || !Number.isFinite(options.requestsPerSecond)) {
      throw new RangeError(`shared rate limit ${options.key}: requestsPerSecond must be a number greater than 0 (got ${options.requestsPerSecond})`);
    }
    this.key = options.key;
    this.table = options.table;
    this.intervalMs = 1000 / options.requestsPerSecond;
    this.clock = withRealClock(options.clock);
    this.itemKey = { pk: `${SHARED_RATE_PARTITION_PREFIX}${options.key}`, sk: SCHEDULE_SORT_KEY };
  }

  // Reserves the next send time of the schedule and waits until it comes.
  async take(): Promise<void> {
    for (;;) {
      const current = await this.read();
      const at = Math.max(this.clock.now(), current ?? 0);
      if (await this.write(current, at + this.intervalMs)) {
        await this.clock.sleep(at - this.clock.now());
        return;
      }
      // Another caller reserved the same moment first: read again and take the one after it.
    }
  }

  // The provider asked everybody to stay away until `untilMs` (epoch ms): no reservation starts before then.
  async pauseUntil(untilMs: number): Promise<void> {
    for (;;) {
      const current = await this.read();
      if (current !== undefined && current >= untilMs) return;
      if (await this.write(current, untilMs)) return;
    }
  }

  private async read(): Promise<number | undefined> {
    const item: Item | undefined = await this.table.get(this.itemKey);
    return typeof item?.nextAt === 'number' ? item.nextAt : undefined;
  }

  // Moves nextAt from `current` (as read) to `next`; false when someone else moved it in between.
  private async write(current: number | undefined, next: number): Promise<boolean> {
    const condition: Condition =
      current === undefined ? { kind: 'attributeNotExists', attribute: 'nextAt' } : { kind: 'attributeEquals', attribute: 'nextAt', value: current };
    try {
      await this.table.update(this.itemKey, { set: { nextAt: next } }, { condition });
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }
}
