import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { setting } from './declaration';

/**
 * The key-encryption key ring of every service that stores secrets (Mailchimp API keys, webhook signing secrets):
 * KEY_ENCRYPTION_KEY, base64 of 32 random bytes, or several comma-separated during a rotation, the newest first. One
 * SSM parameter per stage (`/refinery/<stage>/key-encryption-key`) shared by every service that declares it.
 */
export const keyEncryptionKeySetting = setting(
  z
    .string()
    .transform((value) => value.split(',').map((key) => key.trim()))
    .refine(
      (keys) => keys.every((key) => Buffer.from(key, 'base64').length === 32),
      'base64 of 32 random bytes (openssl rand -base64 32), or several of them comma-separated, the newest first',
    )
    .transform((keys): Buffer[] => keys.map((key) => Buffer.from(key, 'base64'))),
  {
    description:
      'encrypts the stored secrets (Mailchimp API keys, webhook signing secrets): base64 of 32 random bytes (during a rotation "new,old": the first encrypts, any decrypts)',
    secret: true,
  },
);

/** A secret as stored: `v1.<iv>.<tag>.<ciphertext>`, each base64 (AES-256-GCM). */
const SEALED = /^v1\.([A-Za-z0-9+/=]+)\.([A-Za-z0-9+/=]+)\.([A-Za-z0-9+/=]*)$/;

export interface OpenedSecret {
  readonly plaintext: string;
  /** Sealed with an older key of the ring: sealing it again moves it to the newest (so the old key can be dropped). */
  readonly stale: boolean;
}

/**
 * Seals short secrets for storage (AES-256-GCM with the key-encryption key ring; a fresh 96-bit IV each time) and
 * opens them again. Each sealed value is bound to what it belongs to (`boundTo`, e.g. the item's key): GCM
 * authenticates it with the ciphertext, so a sealed value copied onto another record does not open. The ring is newest
 * first: the first key seals, any of them opens.
 */
export class SecretSealer {
  private readonly keys: readonly Buffer[];

  constructor(encryptionKeys: Buffer | readonly Buffer[]) {
    this.keys = Buffer.isBuffer(encryptionKeys) ? [encryptionKeys] : encryptionKeys;
    if (this.keys.length === 0 || this.keys.some((key) => key.length !== 32))
      throw new Error('the key-encryption key must be 32 bytes (base64 of 32 random bytes)');
  }

  seal(plaintext: string, boundTo: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0] as Buffer, iv);
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `v1.${iv.toString('base64')}.${cipher.getAuthTag().toString('base64')}.${sealed.toString('base64')}`;
  }

  /** Throws when the value is not a sealed secret, or no key of the ring opens it for `boundTo`. */
  open(sealedValue: string, boundTo: string): OpenedSecret {
    const parts = SEALED.exec(sealedValue);
    if (!parts) throw new Error(`the stored secret of ${boundTo} is not a sealed secret (v1.<iv>.<tag>.<ciphertext>)`);
    const [, iv, tag, sealed] = parts as unknown as [string, string, string, string];
    let failure: unknown;
    for (const [index, key] of this.keys.entries()) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
        decipher.setAAD(Buffer.from(boundTo, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64'));
        const plaintext = Buffer.concat([decipher.update(Buffer.from(sealed, 'base64')), decipher.final()]).toString('utf8');
        return { plaintext, stale: index > 0 };
      } catch (error) {
        failure = error; // not sealed with this key (GCM's tag does not match): the next, older one
      }
    }
    throw new Error(
      `the stored secret of ${boundTo} cannot be opened with any key-encryption key (was one removed too soon, or the record altered?)`,
      { cause: failure },
    );
  }
}
