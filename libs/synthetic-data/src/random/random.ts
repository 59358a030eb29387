// A small seeded PRNG (sfc32) so generation is reproducible without extra packages. Every random stream is
// keyed by integers (seed, stream, index), so any person or book row can be regenerated on its own.

// Local bindings: under Jest every global lookup (Math, Number) goes through the test context's global
// object and made generation about ten times slower.
const { floor, imul } = Math;
const { isSafeInteger } = Number;

const TWO_POW_32 = 4_294_967_296;

function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixKey(hash: number, key: number): number {
  if (!isSafeInteger(key)) {
    throw new RangeError(`random keys must be safe integers, got ${key}`);
  }
  const low = key >>> 0;
  const high = floor(key / TWO_POW_32) >>> 0;
  const mixedLow = fmix32(hash ^ low) + 0x6a09e667;
  return fmix32(mixedLow ^ high) + 0xbb67ae85;
}

/** Mixes integer keys (each a safe integer) into one 32-bit hash; order matters. */
export function hashKeys(keys: readonly number[]): number {
  let hash = 0x9e3779b9;
  for (let position = 0; position < keys.length; position++) {
    hash = mixKey(hash, keys[position] ?? 0);
  }
  return fmix32(hash);
}

/** hashKeys([first, second]) without allocating an array, for hot loops. */
export function hashPair(first: number, second: number): number {
  return fmix32(mixKey(mixKey(0x9e3779b9, first), second));
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...keys: readonly number[]) {
    const base = hashKeys(keys);
    this.a = fmix32(base ^ 0x243f6a88);
    this.b = fmix32(base ^ 0x85a308d3);
    this.c = fmix32(base ^ 0x13198a2e);
    this.d = 1;
    // sfc32 needs a few rounds before its output stops reflecting the seed words.
    for (let round = 0; round < 12; round++) {
      this.nextUint32();
    }
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform integer in [0, size). */
  int(size: number): number {
    if (!isSafeInteger(size) || size <= 0) {
      throw new RangeError(`size must be a positive integer, got ${size}`);
    }
    return floor(this.next() * size);
  }

  /** Uniform integer in [min, max], both included. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) {
      throw new RangeError('cannot pick from an empty list');
    }
    return item;
  }
}
