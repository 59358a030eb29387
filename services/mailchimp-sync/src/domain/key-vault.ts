import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { IdGenerator, Table } from '@refinery/ports';

/**
 * Mailchimp API keys, encrypted at rest (AES-256-GCM with the service's key-encryption key) and named by a reference
 * (`mck_<id>`) that events and job state carry instead of the key. A reference belongs to one tenant: another tenant
 * naming it gets "unknown key". The key-encryption keys are a ring, newest first: the first seals, each may open (a
 * rotation adds a key in front, and drops the old one once nothing sealed with it is needed).
 */
export class KeyVault {
  private readonly keys: readonly Buffer[];

  constructor(
    private readonly table: Table,
    encryptionKeys: Buffer | readonly Buffer[],
    private readonly ids: IdGenerator,
  ) {
    this.keys = Buffer.isBuffer(encryptionKeys) ? [encryptionKeys] : encryptionKeys;
    if (this.keys.length === 0 || this.keys.some((key) => key.length !== 32))
      throw new Error('the Mailchimp key-encryption key must be 32 bytes (base64 of 32 random bytes)');
  }

  private get sealingKey(): Buffer {
    return this.keys[0] as Buffer;
  }

  async store(tenantId: string, apiKey: string, now: Date): Promise<string> {
    const ref = this.ids.newId('mck');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealingKey, iv);
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
    let failure: unknown;
    for (const key of this.keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(String(item.iv), 'base64'));
        decipher.setAAD(Buffer.from(`${tenantId}:${ref}`));
        decipher.setAuthTag(Buffer.from(String(item.tag), 'base64'));
        return Buffer.concat([decipher.update(Buffer.from(String(item.sealed), 'base64')), decipher.final()]).toString('utf8');
      } catch (error) {
        failure = error; // not sealed with this key (GCM's tag does not match): the next, older one
      }
    }
    throw new Error(`Mailchimp key ${ref} cannot be opened with any key-encryption key (was one removed too soon?)`, { cause: failure });
  }
}
