import { hashKeys, hashPair } from './random';

const ROUNDS = 4;
const { ceil, log2, max } = Math;

/**
 * A keyed bijection of [0, size) onto itself: a balanced Feistel network on the smallest even number of
 * bits that covers size, cycle-walked back into range (at most four steps on average). Distinct inputs
 * always give distinct outputs, which is what lets phone numbers be unique per person without remembering
 * the ones already handed out.
 */
export class KeyedPermutation {
  private readonly roundKeys: readonly number[];
  private readonly halfBits: number;
  private readonly halfMask: number;

  constructor(
    key: number,
    readonly size: number,
  ) {
    if (!Number.isSafeInteger(size) || size <= 0 || size > 2 ** 30) {
      throw new RangeError(`permutation size must be in [1, 2^30], got ${size}`);
    }
    this.halfBits = max(1, ceil(log2(size) / 2));
    this.halfMask = (1 << this.halfBits) - 1;
    this.roundKeys = Array.from({ length: ROUNDS }, (_, round) => hashKeys([key, round]));
  }

  apply(value: number): number {
    if (!Number.isSafeInteger(value) || value < 0 || value >= this.size) {
      throw new RangeError(`value ${value} is outside [0, ${this.size})`);
    }
    let current = value;
    do {
      current = this.feistel(current);
    } while (current >= this.size);
    return current;
  }

  private feistel(value: number): number {
    let left = value >>> this.halfBits;
    let right = value & this.halfMask;
    for (let round = 0; round < ROUNDS; round++) {
      const mixed = (hashPair(this.roundKeys[round] ?? 0, right) & this.halfMask) ^ left;
      left = right;
      right = mixed;
    }
    return (left << this.halfBits) | right;
  }
}
