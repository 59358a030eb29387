import { randomBytes } from 'node:crypto';
import { ConditionFailedError, type Item, queryAll, type Table } from '@refinery/ports';
import { DEFAULT_RETENTION_DAYS, type SecretSealer } from '@refinery/runtime';

export const NOTIFIABLE_EVENT_TYPES = ['job.completed.v1', 'job.failed.v1'] as const;
export type NotifiableEventType = (typeof NOTIFIABLE_EVENT_TYPES)[number];

export interface Subscription {
  readonly id: string;
  readonly tenantId: string;
  readonly url: string;
  readonly eventTypes: readonly NotifiableEventType[];
  readonly description: string;
  /** Standard Webhooks signing secret, `whsec_` + base64. Shown once, at creation. */
  readonly secret: string;
  readonly createdAt: string;
}

export interface DeliveryAttempt {
  readonly subscriptionId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly jobId: string;
  readonly attempt: number;
  readonly at: string;
  readonly ok: boolean;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

export function newSigningSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

const tenantPk = (tenantId: string): string => `tenant#${tenantId}`;
const subscriptionSk = (id: string): string => `subscription#${id}`;
// The table's keys are storage details: they never leave the store (the API would show them to users).
const withoutKeys = <T>({ pk: _pk, sk: _sk, ...rest }: Item): T => rest as unknown as T;
/** What a subscription's sealed secret is bound to: copied onto another subscription or tenant, it does not open. */
const sealedFor = (tenantId: string, id: string): string => `${tenantPk(tenantId)}/${subscriptionSk(id)}`;

/**
 * Subscriptions per tenant, the record of what was delivered (for idempotency) and every attempt.
 *
 * Signing needs the secret itself, so it cannot be hashed: it is stored sealed (`sealedSecret`, AES-256-GCM with the
 * key-encryption key, bound to the tenant and subscription), never in clear. Subscriptions stored before that hold
 * `secret` in clear: they are read as they are and sealed on that first read, as is a secret sealed with an older key
 * of the ring.
 */
export class SubscriptionStore {
  /**
   * @param retentionDays delivery markers and attempts carry `expiresAt` (epoch seconds) this many days after they were
   * written: the table's TTL removes them with the rest of a job's data.
   */
  constructor(
    private readonly table: Table,
    private readonly secrets: SecretSealer,
    private readonly retentionDays: number = DEFAULT_RETENTION_DAYS,
  ) {}

  private expiresAt(at: string): number {
    return Math.floor(Date.parse(at) / 1000) + this.retentionDays * 86_400;
  }

  async create(subscription: Subscription): Promise<void> {
    await this.table.put(this.stored(subscription), { condition: { kind: 'itemNotExists' } });
  }

  async list(tenantId: string): Promise<Subscription[]> {
    const subscriptions: Subscription[] = [];
    for await (const item of queryAll(this.table, tenantPk(tenantId), { beginsWith: 'subscription#' })) {
      subscriptions.push(await this.opened(item));
    }
    return subscriptions;
  }

  async get(tenantId: string, id: string): Promise<Subscription | undefined> {
    const item = await this.table.get({ pk: tenantPk(tenantId), sk: subscriptionSk(id) });
    return item && (await this.opened(item));
  }

  /** The stored form of a subscription: its secret sealed. */
  private stored(subscription: Subscription): Item {
    const { secret, ...rest } = subscription;
    return {
      pk: tenantPk(subscription.tenantId),
      sk: subscriptionSk(subscription.id),
      ...rest,
      eventTypes: [...subscription.eventTypes],
      sealedSecret: this.secrets.seal(secret, sealedFor(subscription.tenantId, subscription.id)),
    };
  }

  /** The subscription with its secret opened; one in clear or sealed with an older key is sealed again (if it still exists). */
  private async opened(item: Item): Promise<Subscription> {
    const {
      sealedSecret,
      secret: clearSecret,
      ...rest
    } = withoutKeys<Omit<Subscription, 'secret'> & { sealedSecret?: unknown; secret?: unknown }>(item);
    let secret: string;
    let reseal: boolean;
    if (typeof sealedSecret === 'string') {
      const opened = this.secrets.open(sealedSecret, sealedFor(rest.tenantId, rest.id));
      secret = opened.plaintext;
      reseal = opened.stale;
    } else if (typeof clearSecret === 'string') {
      secret = clearSecret;
      reseal = true;
    } else {
      throw new Error(`subscription ${rest.id} of tenant ${rest.tenantId} has no secret stored`);
    }
    const subscription: Subscription = { ...rest, secret };
    if (reseal) {
      await this.table.put(this.stored(subscription), { condition: { kind: 'itemExists' } }).catch((error: unknown) => {
        if (!(error instanceof ConditionFailedError)) throw error; // deleted meanwhile: nothing to seal
      });
    }
    return subscription;
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.table.delete({ pk: tenantPk(tenantId), sk: subscriptionSk(id) });
  }

  async wasDelivered(eventId: string, subscriptionId: string): Promise<boolean> {
    return (await this.table.get({ pk: `delivery#${eventId}`, sk: subscriptionId })) !== undefined;
  }

  async markDelivered(eventId: string, subscriptionId: string, at: string): Promise<void> {
    await this.table.put({ pk: `delivery#${eventId}`, sk: subscriptionId, at, expiresAt: this.expiresAt(at) });
  }

  async recordAttempt(attempt: DeliveryAttempt): Promise<void> {
    await this.table.put({
      pk: `attempts#${attempt.subscriptionId}`,
      sk: `${attempt.at}#${attempt.eventId}#${String(attempt.attempt).padStart(3, '0')}`,
      ...attempt,
      expiresAt: this.expiresAt(attempt.at),
    });
  }

  /** Attempts of a subscription, newest first. */
  async attempts(subscriptionId: string, limit = 100): Promise<DeliveryAttempt[]> {
    const page = await this.table.query(`attempts#${subscriptionId}`, { reverse: true, limit });
    // expiresAt is the table's bookkeeping, not part of an attempt.
    return page.items.map(({ expiresAt: _expiresAt, ...item }) => withoutKeys<DeliveryAttempt>(item as Item));
  }
}
