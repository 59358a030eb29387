import type { Item, ItemKey, Table } from '@refinery/ports';

// A circuit breaker per subscription, kept in the subscriptions table so that every invocation (every Lambda
// container, every local worker) sees the same state. Per subscription rather than per URL origin: a tenant's failing
// receiver must never stop another tenant's deliveries, and one tenant could otherwise open the circuit of an origin
// another tenant uses by subscribing a URL of it that fails.
//
// Closed: deliveries are attempted; each failed attempt adds one to `consecutiveFailures`, a success clears the record.
// Open: once `consecutiveFailures` reaches the threshold, no attempt is made until `openUntil`; deliveries are recorded
// as skipped and the queue brings them back after the cool-down. Half-open: after `openUntil` attempts are made again
// (at most the subscription's concurrency limit at once); a success closes the circuit, a failure opens it again for
// another cool-down.

export interface CircuitSettings {
  /** Consecutive failed attempts that open the circuit. */
  readonly failuresToOpen: number;
  readonly cooldownMs: number;
}

export type CircuitView =
  | { readonly open: false; readonly consecutiveFailures: number }
  | { readonly open: true; readonly consecutiveFailures: number; readonly until: Date; readonly lastError: string | null };

const circuitKey = (subscriptionId: string): ItemKey => ({ pk: `circuit#${subscriptionId}`, sk: 'endpoint' });

export class SubscriptionCircuits {
  constructor(
    private readonly table: Table,
    private readonly settings: CircuitSettings,
  ) {}

  /** The circuit of a subscription as of `now`. */
  async view(subscriptionId: string, now: Date): Promise<CircuitView> {
    return viewOf(await this.table.get(circuitKey(subscriptionId)), now);
  }

  /** A delivery succeeded: the circuit closes (the record is removed; only failing subscriptions have one). */
  async succeeded(subscriptionId: string, before: CircuitView): Promise<void> {
    if (before.consecutiveFailures > 0) await this.table.delete(circuitKey(subscriptionId));
  }

  /**
   * An attempt failed: counted atomically (attempts of several invocations may fail at once), and the circuit opened
   * for a cool-down when the count reaches the threshold and it is not open already. Returns the circuit after.
   */
  async failed(subscriptionId: string, now: Date, error: string): Promise<CircuitView> {
    const key = circuitKey(subscriptionId);
    const item = await this.table.update(key, { increment: { consecutiveFailures: 1 }, set: { lastError: error, lastFailureAt: now.toISOString() } });
    const after = viewOf(item, now);
    if (after.open || after.consecutiveFailures < this.settings.failuresToOpen) return after;
    const until = new Date(now.getTime() + this.settings.cooldownMs);
    await this.table.update(key, { set: { openUntil: until.toISOString() } });
    return { open: true, consecutiveFailures: after.consecutiveFailures, until, lastError: error };
  }
}

function viewOf(item: Item | undefined, now: Date): CircuitView {
  const consecutiveFailures = typeof item?.consecutiveFailures === 'number' ? item.consecutiveFailures : 0;
  const until = typeof item?.openUntil === 'string' ? new Date(item.openUntil) : undefined;
  if (until && until.getTime() > now.getTime()) {
    return { open: true, consecutiveFailures, until, lastError: typeof item?.lastError === 'string' ? item.lastError : null };
  }
  return { open: false, consecutiveFailures };
}
