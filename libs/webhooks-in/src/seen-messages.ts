import { type AttributeValue, type Clock, ConditionFailedError, systemClock, type Table } from '@refinery/ports';

/** What is kept with a message the first time it is seen (e.g. the job it created), handed back for its repeats. */
export type SeenRecord = { readonly [attribute: string]: AttributeValue };

export type FirstTime<R extends SeenRecord = SeenRecord> = { readonly first: true } | { readonly first: false; readonly record?: R };

export interface SeenMessagesOptions {
  /** Partition key prefix, `seen#` by default: items are `{ pk: '<prefix><scope>', sk: '<id>' }`. */
  readonly prefix?: string;
  readonly clock?: Clock;
  /** How long a message is remembered where the table has TTL (see `expiresAt`); 7 days by default. */
  readonly retentionSeconds?: number;
}

/** Seven days: longer than senders keep retrying one message (Standard Webhooks senders retry for about 3 days). */
export const DEFAULT_RETENTION_SECONDS = 7 * 24 * 60 * 60;

/** DynamoDB's limit on a sort key. */
const MAX_ID_BYTES = 1024;

/**
 * Replay and duplicate protection for inbound messages: the first delivery of a message id in a scope (a webhook
 * source, say) claims it with a conditional put (`itemNotExists`), storing `record`; every later delivery of that id
 * finds the claim and gets the first one's record back, so it can answer as the first did without acting again.
 *
 * Each item also gets `expiresAt`, epoch seconds `retentionSeconds` from now: on AWS, point the table's TTL at that
 * attribute (TimeToLiveSpecification AttributeName: expiresAt) and DynamoDB deletes old claims by itself, within a
 * day or two of expiry (until then an expired claim still counts as seen). The local table (SQLite) and dynalite have
 * no TTL: claims stay there.
 */
export class SeenMessages {
  private readonly prefix: string;
  private readonly clock: Clock;
  private readonly retentionSeconds: number;

  constructor(
    private readonly table: Table,
    options: SeenMessagesOptions = {},
  ) {
    this.prefix = options.prefix ?? 'seen#';
    this.clock = options.clock ?? systemClock;
    this.retentionSeconds = options.retentionSeconds ?? DEFAULT_RETENTION_SECONDS;
    if (!Number.isInteger(this.retentionSeconds) || this.retentionSeconds < 1) {
      throw new Error(`retentionSeconds must be a whole number of seconds >= 1, got ${this.retentionSeconds}`);
    }
  }

  /**
   * `{ first: true }` when this is the first time `id` is seen in `scope` (and it is now recorded with `record`);
   * otherwise `{ first: false, record }` with the record the first time stored. Concurrent deliveries of one id: exactly
   * one is first.
   */
  async firstTime<R extends SeenRecord = SeenRecord>(scope: string, id: string, record?: R): Promise<FirstTime<R>> {
    if (scope === '') throw new Error('a seen-message scope must not be empty');
    if (id === '') throw new Error('a seen-message id must not be empty');
    if (Buffer.byteLength(id, 'utf8') > MAX_ID_BYTES) throw new Error(`a seen-message id is at most ${MAX_ID_BYTES} bytes`);
    const key = { pk: `${this.prefix}${scope}`, sk: id };
    const now = this.clock.now();
    try {
      await this.table.put(
        {
          ...key,
          seenAt: now.toISOString(),
          expiresAt: Math.floor(now.getTime() / 1000) + this.retentionSeconds,
          ...(record === undefined ? {} : { record }),
        },
        { condition: { kind: 'itemNotExists' } },
      );
      return { first: true };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
    const existing = await this.table.get(key);
    const stored = existing?.record;
    return stored !== undefined && stored !== null && typeof stored === 'object' && !Array.isArray(stored)
      ? { first: false, record: stored as R }
      : { first: false };
  }
}
