import { KeyedPermutation } from '../src/random/permutation';
import { Random } from '../src/random/random';
import { WeightedTable } from '../src/random/weighted-table';

describe('Random', () => {
  it('repeats the same sequence for the same keys and differs for other keys', () => {
    const draw = (...keys: number[]) => {
      const random = new Random(...keys);
      return Array.from({ length: 5 }, () => random.nextUint32());
    };
    expect(draw(1, 2, 3)).toEqual(draw(1, 2, 3));
    expect(draw(1, 2, 3)).not.toEqual(draw(1, 2, 4));
    expect(draw(1, 2, 3)).not.toEqual(draw(2, 1, 3));
    expect(draw(2 ** 40)).not.toEqual(draw(0));
  });

  it('draws integers uniformly within range', () => {
    const random = new Random(7);
    const counts = [0, 0, 0, 0];
    for (let draw = 0; draw < 40_000; draw++) {
      const value = random.int(4);
      counts[value] = (counts[value] ?? 0) + 1;
    }
    for (const count of counts) {
      expect(count).toBeGreaterThan(9_400);
      expect(count).toBeLessThan(10_600);
    }
    expect(() => random.int(0)).toThrow(RangeError);
  });

  it('rejects keys that are not safe integers', () => {
    expect(() => new Random(1.5)).toThrow(RangeError);
  });
});

describe('WeightedTable', () => {
  it('draws items in proportion to their weights and never a zero-weight item', () => {
    const table = new WeightedTable([
      ['rare', 1],
      ['never', 0],
      ['common', 3],
    ] as const);
    const random = new Random(3);
    const counts = new Map<string, number>();
    for (let draw = 0; draw < 20_000; draw++) {
      const item = table.sample(random);
      counts.set(item, (counts.get(item) ?? 0) + 1);
    }
    expect(counts.get('never')).toBeUndefined();
    expect((counts.get('common') ?? 0) / 20_000).toBeCloseTo(0.75, 1);
  });

  it('needs a positive weight', () => {
    expect(() => new WeightedTable([['a', 0]])).toThrow(RangeError);
  });
});

describe('KeyedPermutation', () => {
  it.each([1, 2, 3, 1_000, 50_000])('maps [0, %i) onto itself without collisions', (size) => {
    const permutation = new KeyedPermutation(99, size);
    const seen = new Set<number>();
    for (let value = 0; value < size; value++) {
      seen.add(permutation.apply(value));
    }
    expect(seen.size).toBe(size);
    expect(Math.min(...seen)).toBe(0);
    expect(Math.max(...seen)).toBe(size - 1);
  });

  it('depends on its key and scrambles order', () => {
    const first = new KeyedPermutation(1, 1_000);
    const second = new KeyedPermutation(2, 1_000);
    const mappedFirst = Array.from({ length: 20 }, (_, value) => first.apply(value));
    const mappedSecond = Array.from({ length: 20 }, (_, value) => second.apply(value));
    expect(mappedFirst).not.toEqual(mappedSecond);
    expect(mappedFirst).not.toEqual(Array.from({ length: 20 }, (_, value) => value));
  });
});
