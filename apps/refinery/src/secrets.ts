import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The key that encrypts stored secrets (Mailchimp API keys, webhook sources' and subscriptions' signing secrets) on the local mode: $REFINERY_KEY_ENCRYPTION_KEY (base64 of 32
 * bytes), else a random one kept in the data dir (mode 0600) so stored keys stay readable across restarts.
 */
export function localKeyEncryptionKey(dataDir: string): Buffer {
  const fromEnv = process.env.REFINERY_KEY_ENCRYPTION_KEY;
  if (fromEnv) return Buffer.from(fromEnv, 'base64');
  const file = join(dataDir, 'key-encryption.key');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64'), { mode: 0o600, flag: 'wx' });
  return key;
}
