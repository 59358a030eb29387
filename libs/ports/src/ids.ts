import { randomBytes } from 'node:crypto';
import type { IdGenerator } from './clock';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** ULID (https://github.com/ulid/spec): 48-bit millisecond time + 80 random bits, Crockford base32, sortable by time. */
export function ulid(now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i += 1) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const random = randomBytes(16);
  let rand = '';
  for (let i = 0; i < 16; i += 1) rand += CROCKFORD[(random[i] as number) % 32];
  return time + rand;
}

export const ulidIds: IdGenerator = { newId: (prefix) => `${prefix}_${ulid()}` };
