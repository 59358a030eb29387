import { sameFrom, withinOneEdit } from '../src/edit-distance';

describe('withinOneEdit', () => {
  it.each([
    ['pam', 'pma', 'a swap of adjacent letters'],
    ['cox', 'cxo', 'a swap at the end'],
    ['bob', 'bb', 'a deletion'],
    ['ann', 'anne', 'an insertion at the end'],
    ['john', 'jhn', 'a deletion inside'],
    ['pat', 'mat', 'a substitution at the start'],
    ['same', 'same', 'no change'],
  ])('%s ~ %s: %s', (a, b) => {
    expect(withinOneEdit(a, b)).toBe(true);
    expect(withinOneEdit(b, a)).toBe(true);
  });

  it.each([
    ['pam', 'mpa'],
    ['john', 'jane'],
    ['ab', 'abcd'],
    ['abcd', 'badc'],
    ['smith', 'smythe'],
  ])('%s and %s are more than one slip apart', (a, b) => {
    expect(withinOneEdit(a, b)).toBe(false);
    expect(withinOneEdit(b, a)).toBe(false);
  });
});

describe('withinOneEdit against the definition (optimal string alignment distance <= 1)', () => {
  function osaDistance(a: string, b: string): number {
    const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
    for (let i = 1; i <= a.length; i += 1) {
      for (let j = 1; j <= b.length; j += 1) {
        const cost = a[i - 1] === b[j - 1] ? 0 : 1;
        let best = Math.min((rows[i - 1]?.[j] ?? 0) + 1, (rows[i]?.[j - 1] ?? 0) + 1, (rows[i - 1]?.[j - 1] ?? 0) + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, (rows[i - 2]?.[j - 2] ?? 0) + 1);
        (rows[i] as number[])[j] = best;
      }
    }
    return rows[a.length]?.[b.length] ?? 0;
  }

  it('agrees on every pair of short strings over a two-letter alphabet', () => {
    const words = [''];
    for (let length = 1; length <= 5; length += 1)
      for (let code = 0; code < 2 ** length; code += 1) words.push(code.toString(2).padStart(length, '0').replace(/0/g, 'a').replace(/1/g, 'b'));
    for (const a of words)
      for (const b of words)
        if (withinOneEdit(a, b) !== osaDistance(a, b) <= 1) expect([a, b, withinOneEdit(a, b)]).toEqual([a, b, osaDistance(a, b) <= 1]);
  });
});

describe('sameFrom', () => {
  it.each([
    ['abc', 1, 'xbc', 1, true],
    ['abc', 1, 'bc', 0, true],
    ['abc', 3, 'xy', 2, true],
    ['abc', 5, '', 0, true],
    ['abc', 1, 'xbd', 1, false],
    ['abc', 1, 'xbcd', 1, false],
  ])('%s from %i and %s from %i: %s', (a, aFrom, b, bFrom, same) => {
    expect(sameFrom(a, aFrom, b, bFrom)).toBe(same);
    expect(sameFrom(a, aFrom, b, bFrom)).toBe(a.slice(aFrom) === b.slice(bFrom));
  });
});
