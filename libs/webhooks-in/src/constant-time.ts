import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether two strings are equal, in time that depends on neither their contents nor their lengths: both are hashed
 * (SHA-256) first, and the digests, always 32 bytes, are compared with `timingSafeEqual` (which alone throws on
 * different lengths, and so would tell how long a secret is).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const digestA = createHash('sha256').update(a, 'utf8').digest();
  const digestB = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(digestA, digestB);
}
