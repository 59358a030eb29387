import { oneDecimal } from '../src/explain';

describe('oneDecimal', () => {
  it('spells every weight as toFixed(1) does, ties, negatives, zeros and large values included', () => {
    const values = [
      0,
      -0,
      0.04,
      -0.04,
      0.05,
      -0.05,
      0.15,
      0.25,
      -0.25,
      0.35,
      1.45,
      2.5,
      -2.55,
      9.95,
      -9.95,
      99.95,
      1e-9,
      -1e-9,
      123456.789,
      1e14,
      1e15,
      1e21,
      -1e21,
      0.1 + 0.2,
    ];
    for (const value of values) expect([value, oneDecimal(value)]).toEqual([value, value.toFixed(1)]);
    let state = 9;
    const random = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 4294967296;
    };
    for (let index = 0; index < 100_000; index += 1) {
      // Weights in bits: mostly a few tens either way, and many with exactly two decimals (the ties).
      const value = index % 2 === 0 ? (random() - 0.5) * 80 : Math.round((random() - 0.5) * 8000) / 100;
      if (oneDecimal(value) !== value.toFixed(1)) expect([value, oneDecimal(value)]).toEqual([value, value.toFixed(1)]);
    }
  });
});
