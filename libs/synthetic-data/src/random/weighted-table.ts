import type { Random } from './random';

/** Draws items in proportion to their weights (binary search over cumulative weights). */
export class WeightedTable<T> {
  private readonly items: readonly T[];
  private readonly cumulative: Float64Array;
  readonly totalWeight: number;

  constructor(entries: readonly (readonly [T, number])[]) {
    const kept = entries.filter(([, weight]) => weight > 0);
    if (kept.length === 0) {
      throw new RangeError('a weighted table needs at least one positive weight');
    }
    this.items = kept.map(([item]) => item);
    this.cumulative = new Float64Array(kept.length);
    let total = 0;
    kept.forEach(([, weight], position) => {
      if (!Number.isFinite(weight)) {
        throw new RangeError(`weights must be finite, got ${weight}`);
      }
      total += weight;
      this.cumulative[position] = total;
    });
    this.totalWeight = total;
  }

  sample(random: Random): T {
    const target = random.next() * this.totalWeight;
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.cumulative[middle] ?? 0) > target) {
        high = middle;
      } else {
        low = middle + 1;
      }
    }
    return this.items[low] as T;
  }
}
