import { batchesInFlight } from '../src/emulator';

describe('batches in flight per event source mapping', () => {
  it("takes the mapping's maximum concurrency, or the default for a mapping without one", () => {
    expect(batchesInFlight({ maximumConcurrency: 3 }, { maxConcurrencyPerMapping: 4 })).toBe(3);
    expect(batchesInFlight({}, {})).toBe(2);
    expect(batchesInFlight({}, { defaultConcurrency: 1 })).toBe(1);
  });

  it('never runs more than maxConcurrencyPerMapping (2 by default): a mapping of 100 would take every socket', () => {
    expect(batchesInFlight({ maximumConcurrency: 100 }, {})).toBe(2);
    expect(batchesInFlight({ maximumConcurrency: 100 }, { maxConcurrencyPerMapping: 8 })).toBe(8);
    expect(batchesInFlight({}, { defaultConcurrency: 6 })).toBe(2);
  });
});
