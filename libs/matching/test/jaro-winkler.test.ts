import { jaroWinkler } from '@refinery/matching';
import packageDistance from 'jaro-winkler';
import { jaroWinklerAtLeast, jaroWinklerSimilarity } from '../src/jaro-winkler';

describe('jaroWinkler', () => {
  it('scores equal names 1 and unrelated names low', () => {
    expect(jaroWinkler('Smith', 'Smith')).toBe(1);
    expect(jaroWinkler('Smith', 'Zhang')).toBeLessThan(0.6);
  });

  it('ignores case, accents and punctuation', () => {
    expect(jaroWinkler('JOSÉ', 'jose')).toBe(1);
    expect(jaroWinkler("O'Brien", 'obrien')).toBe(1);
  });

  it('rates typos and transpositions high', () => {
    expect(jaroWinkler('Jon', 'John')).toBeCloseTo(0.933, 3);
    expect(jaroWinkler('Smith', 'Smtih')).toBeCloseTo(0.947, 3);
    expect(jaroWinkler('Michael', 'Micheal')).toBeGreaterThan(0.95);
  });

  it('is 0 for an empty name', () => {
    expect(jaroWinkler('', 'Smith')).toBe(0);
  });
});

// The matcher's own implementation replaced the jaro-winkler package for speed; every weight learnt and every decision
// made depends on these figures being the package's, to the last bit.
describe('jaroWinklerSimilarity against the jaro-winkler package', () => {
  const names = [
    '',
    'a',
    'ab',
    'jon',
    'john',
    'johnny',
    'jonathan',
    'smith',
    'smtih',
    'smyth',
    'schmidt',
    'michael',
    'micheal',
    'michelle',
    'dwayne',
    'duane',
    'dixon',
    'dicksonx',
    'martha',
    'marhta',
    'abcdefghijklmnopqrstuvwxyz',
    'zyxwvutsrqponmlkjihgfedcba',
    'aaaa',
    'aaab',
    'baaa',
    '12 high st',
    '21 high st',
    'garcia lopez',
    'garcialopez',
    'o',
    'oo',
    'éva',
    'eva',
  ];

  it('agrees on every pair of a list of names, typos and edge cases', () => {
    for (const first of names)
      for (const second of names)
        expect([first, second, jaroWinklerSimilarity(first, second)]).toEqual([first, second, packageDistance(first, second)]);
  });

  it('agrees on 20,000 random pairs over a small alphabet (many repeats and transpositions) and lengths up to 40', () => {
    let state = 7;
    const random = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 4294967296;
    };
    const word = (): string => Array.from({ length: Math.floor(random() * 41) }, () => 'abcde'[Math.floor(random() * 5)]).join('');
    for (let pair = 0; pair < 20_000; pair += 1) {
      const first = word();
      const second = random() < 0.3 ? first.slice(1) + first.slice(0, 1) : word();
      const [ours, theirs] = [jaroWinklerSimilarity(first, second), packageDistance(first, second)];
      if (ours !== theirs) expect([first, second, ours]).toEqual([first, second, theirs]);
    }
  });
});

describe('jaroWinklerAtLeast', () => {
  it('answers every threshold from its floor up as the full similarity does, on 20,000 random pairs', () => {
    let state = 3;
    const random = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 4294967296;
    };
    // Names, streets and employers: a realistic alphabet, and near copies so that both sides of each floor occur.
    const word = (): string => Array.from({ length: 1 + Math.floor(random() * 20) }, () => 'aeinorst lcdhm'[Math.floor(random() * 14)]).join('');
    const nearCopy = (text: string): string => {
      const at = Math.floor(random() * text.length);
      return random() < 0.5 ? text.slice(0, at) + text.slice(at + 1) : `${text.slice(0, at)}x${text.slice(at)}`;
    };
    let ruledOut = 0;
    for (let pair = 0; pair < 20_000; pair += 1) {
      const first = word();
      const second = random() < 0.5 ? nearCopy(first) : word();
      const exact = jaroWinklerSimilarity(first, second);
      for (const floor of [0.85, 0.9, 0.92]) {
        const bounded = jaroWinklerAtLeast(first, second, floor);
        if (exact >= floor ? bounded !== exact : bounded >= floor) expect([first, second, floor, bounded]).toEqual([first, second, floor, exact]);
        if (bounded !== exact) ruledOut += 1;
      }
    }
    // The point of it: most unlike pairs never reach the full comparison.
    expect(ruledOut).toBeGreaterThan(10_000);
  });

  it('counts characters outside Latin-1 by their low byte without losing any (an overestimate, never an underestimate)', () => {
    // 'Ā' (U+0100) and the NUL share a low byte with each other; 'ā' (U+0101) and 'ȁ' (U+0201) too.
    for (const [first, second] of [
      ['āāāā', 'ȁȁȁȁ'],
      ['zoë', 'zoe'],
      ['Ā\u0000b', '\u0000Āb'],
    ] as const) {
      expect(jaroWinklerAtLeast(first, second, 0.85) >= 0.85).toBe(jaroWinklerSimilarity(first, second) >= 0.85);
    }
  });
});
