import { createHash, randomBytes } from 'node:crypto';
import type { Table } from '@refinery/ports';

export interface WebhookRegistration {
  readonly id: string;
  readonly tenantId: string;
  readonly listId: string;
  readonly createdAt: string;
}

// Registrations are found by the SHA-256 of their secret: the secret itself is never stored, and looking an item up
// by a hash leaks nothing about how much of a guess was right (no string comparison of secrets at all).
const registrationKey = (secret: string) => ({ pk: `hook#${createHash('sha256').update(secret).digest('hex')}`, sk: 'hook' });

/** The secret URLs Mailchimp audience webhooks are sent to, one per tenant and list. */
export class WebhookRegistrations {
  constructor(private readonly table: Table) {}

  async register(tenantId: string, listId: string, id: string, now: Date): Promise<{ registration: WebhookRegistration; secret: string }> {
    const secret = randomBytes(24).toString('base64url');
    const registration: WebhookRegistration = { id, tenantId, listId, createdAt: now.toISOString() };
    await this.table.put({ ...registrationKey(secret), ...registration }, { condition: { kind: 'itemNotExists' } });
    return { registration, secret };
  }

  async find(secret: string): Promise<WebhookRegistration | undefined> {
    if (!/^[A-Za-z0-9_-]{16,128}$/u.test(secret)) return undefined;
    const item = await this.table.get(registrationKey(secret));
    return item ? (item as unknown as WebhookRegistration) : undefined;
  }
}
