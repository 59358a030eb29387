import { randomBytes } from 'node:crypto';
import { type Item, queryAll, type Table } from '@refinery/ports';

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

/** Subscriptions per tenant, the record of what was delivered (for idempotency) and every attempt. */
export class SubscriptionStore {
  constructor(private readonly table: Table) {}

  async create(subscription: Subscription): Promise<void> {
    await this.table.put(
      { pk: tenantPk(subscription.tenantId), sk: subscriptionSk(subscription.id), ...subscription, eventTypes: [...subscription.eventTypes] },
      { condition: { kind: 'itemNotExists' } },
    );
  }

  async list(tenantId: string): Promise<Subscription[]> {
    const subscriptions: Subscription[] = [];
    for await (const item of queryAll(this.table, tenantPk(tenantId), { beginsWith: 'subscription#' })) {
      subscriptions.push(withoutKeys<Subscription>(item));
    }
    return subscriptions;
  }

  async get(tenantId: string, id: string): Promise<Subscription | undefined> {
    const item = await this.table.get({ pk: tenantPk(tenantId), sk: subscriptionSk(id) });
    return item && withoutKeys<Subscription>(item);
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.table.delete({ pk: tenantPk(tenantId), sk: subscriptionSk(id) });
  }

  async wasDelivered(eventId: string, subscriptionId: string): Promise<boolean> {
    return (await this.table.get({ pk: `delivery#${eventId}`, sk: subscriptionId })) !== undefined;
  }

  async markDelivered(eventId: string, subscriptionId: string, at: string): Promise<void> {
    await this.table.put({ pk: `delivery#${eventId}`, sk: subscriptionId, at });
  }

  async recordAttempt(attempt: DeliveryAttempt): Promise<void> {
    await this.table.put({
      pk: `attempts#${attempt.subscriptionId}`,
      sk: `${attempt.at}#${attempt.eventId}#${String(attempt.attempt).padStart(3, '0')}`,
      ...attempt,
    });
  }

  /** Attempts of a subscription, newest first. */
  async attempts(subscriptionId: string, limit = 100): Promise<DeliveryAttempt[]> {
    const page = await this.table.query(`attempts#${subscriptionId}`, { reverse: true, limit });
    return page.items.map((item) => withoutKeys<DeliveryAttempt>(item));
  }
}
