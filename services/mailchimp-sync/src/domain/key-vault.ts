import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { IdGenerator, Table } from '@refinery/ports';

/**
 * Mailchimp API keys, encrypted at rest (AES-256-GCM with the service's key-encryption key) and named by a reference
 * (`mck_<id>`) that events and job state carry instead of the key. A reference belongs to one tenant: another tenant
 * naming it gets "unknown key".
 */
export class KeyVault {
  constructor(
    private readonly table: Table,
    private readonly encryptionKey: Buffer,
    private readonly ids: IdGenerator,
  ) {
    if (encryptionKey.length !== 32) throw new Error('the Mailchimp key-encryption key must be 32 bytes (base64 of 32 random bytes)');
  }

  async store(tenantId: string, apiKey: string, now: Date): Promise<string> {
    const ref = this.ids.newId('mck');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    // The tenant and reference are authenticated with the key: a ciphertext copied under another reference or
    // tenant does not decrypt.
    cipher.setAAD(Buffer.from(`${tenantId}:${ref}`));
    const sealed = Buffer.concat([cipher.update(apiKey, 'utf8'), cipher.final()]);
    await this.table.put(
      {
        pk: `key#${ref}`,
        sk: 'key',
        tenantId,
        iv: iv.toString('base64'),
        tag: cipher.getAuthTag().toString('base64'),
        sealed: sealed.toString('base64'),
        createdAt: now.toISOString(),
      },
      { condition: { kind: 'itemNotExists' } },
    );
    return ref;
  }

  /** The key behind a reference of this tenant, or undefined when the tenant has no such reference. */
  async open(tenantId: string, ref: string): Promise<string | undefined> {
    const item = await this.table.get({ pk: `key#${ref}`, sk: 'key' });
    if (!item || item.tenantId !== tenantId) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, Buffer.from(String(item.iv), 'base64'));
    decipher.setAAD(Buffer.from(`${tenantId}:${ref}`));
    decipher.setAuthTag(Buffer.from(String(item.tag), 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(String(item.sealed), 'base64')), decipher.final()]).toString('utf8');
  }
}
