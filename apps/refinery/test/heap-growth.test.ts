import { getHeapStatistics } from 'node:v8';
import { HEAP_GROWING_PERCENT, moderateHeapGrowth } from '../src/heap-growth';

describe('moderateHeapGrowth', () => {
  it('leaves a heap growing factor the user gave node alone, in either spelling', () => {
    expect(moderateHeapGrowth(['--heap-growing-percent=80'])).toBe(false);
    expect(moderateHeapGrowth(['--max-old-space-size=300', '--heap_growing_percent=80'])).toBe(false);
    expect(moderateHeapGrowth([], '--enable-source-maps --heap-growing-percent=80')).toBe(false);
  });

  it('sets the factor otherwise, without touching the heap limit', () => {
    const limit = getHeapStatistics().heap_size_limit;
    expect(HEAP_GROWING_PERCENT).toBeGreaterThan(0);
    expect(moderateHeapGrowth(['--max-old-space-size=300'], '--enable-source-maps')).toBe(true);
    expect(getHeapStatistics().heap_size_limit).toBe(limit);
  });
});
