import { roundToDigits, toFixedDigits } from '../src/fixed-decimals';

// Explanations and scores are written with these instead of toFixed, for speed: they must write exactly what toFixed
// writes, or a result file would change with the implementation.
describe('toFixedDigits and roundToDigits', () => {
  const special = [0, -0, 0.04, -0.04, 0.05, -0.05, 0.15, 0.25, -0.25, 0.35, 1.45, 2.5, -2.55, 9.95, -9.95, 99.95, 0.99995, 0.999995, 0.9999995];
  const extreme = [1e-9, -1e-9, 123456.789, 1e14, 1e15, 1e21, -1e21, 0.1 + 0.2, 1 - 1e-12, 5e-7, -5e-7];
  let state = 9;
  const random = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };

  it.each([1, 4, 6])('write what toFixed(%i) writes, ties, negatives, zeros and large values included', (digits) => {
    for (const value of [...special, ...extreme]) {
      expect([value, toFixedDigits(value, digits)]).toEqual([value, value.toFixed(digits)]);
      expect([value, roundToDigits(value, digits)]).toEqual([value, Number(value.toFixed(digits))]);
    }
    for (let index = 0; index < 100_000; index += 1) {
      // Weights in bits (a few tens either way) and probabilities, many with exactly one more decimal (the ties).
      const raw = index % 3 === 0 ? (random() - 0.5) * 80 : random();
      const value = index % 2 === 0 ? raw : Math.round(raw * 10 ** (digits + 1)) / 10 ** (digits + 1);
      if (toFixedDigits(value, digits) !== value.toFixed(digits))
        expect([value, toFixedDigits(value, digits)]).toEqual([value, value.toFixed(digits)]);
      if (!Object.is(roundToDigits(value, digits), Number(value.toFixed(digits)))) {
        expect([value, roundToDigits(value, digits)]).toEqual([value, Number(value.toFixed(digits))]);
      }
    }
  });

  it('leave other digit counts to toFixed', () => {
    expect(toFixedDigits(Math.PI, 8)).toBe(Math.PI.toFixed(8));
    expect(roundToDigits(Math.PI, 8)).toBe(Number(Math.PI.toFixed(8)));
  });
});
