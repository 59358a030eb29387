// value.toFixed(digits), spelled out: a decision writes a dozen weights, two probabilities and a score, and toFixed
// is slow. Where the digit after the last is a near tie, floating point decides the rounding, so toFixed itself
// answers; everywhere else both round the same way.
const SCALES = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];

export function toFixedDigits(value: number, digits: number): string {
  const scale = SCALES[digits];
  if (scale === undefined) return value.toFixed(digits);
  const scaled = value * scale;
  if (!(Math.abs(scaled) < 1e15) || Math.abs(Math.abs(scaled - Math.trunc(scaled)) - 0.5) < 1e-6) return value.toFixed(digits);
  const rounded = Math.round(scaled);
  // toFixed keeps the sign of a negative number that rounds to zero ("-0.0"), not of -0 itself.
  const sign = rounded < 0 || (rounded === 0 && value < 0) ? '-' : '';
  const units = Math.abs(rounded);
  if (digits === 0) return `${sign}${units}`;
  return `${sign}${Math.floor(units / scale)}.${String(units % scale).padStart(digits, '0')}`;
}

// Number(value.toFixed(digits)) without the string: the integer count of units divided by the scale is the double
// nearest the decimal, as parsing it would give.
export function roundToDigits(value: number, digits: number): number {
  const scale = SCALES[digits];
  if (scale === undefined) return Number(value.toFixed(digits));
  const scaled = value * scale;
  if (!(Math.abs(scaled) < 1e15) || Math.abs(Math.abs(scaled - Math.trunc(scaled)) - 0.5) < 1e-6) return Number(value.toFixed(digits));
  const rounded = Math.round(scaled);
  // "-0.000" parses as -0, "0.000" (also toFixed of -0) as 0.
  if (rounded === 0) return value < 0 ? -0 : 0;
  return rounded / scale;
}

// A weight in bits as the explanations write it: one decimal, always signed ("+8.1", "-14.0"), never "-0.0".
export function signedBits(bits: number): string {
  const fixed = toFixedDigits(bits, 1);
  return bits >= 0 && !fixed.startsWith('-') ? `+${fixed}` : fixed === '-0.0' ? '+0.0' : fixed;
}
