import { phoneticCode, soundex } from '@refinery/matching';

describe('soundex', () => {
  it.each([
    ['robert', 'R163'],
    ['rupert', 'R163'],
    ['ashcraft', 'A261'],
    ['tymczak', 'T522'],
    ['pfister', 'P236'],
    ['smith', 'S530'],
    ['smyth', 'S530'],
    ['lee', 'L000'],
    ['garcia lopez', 'G624'],
  ])('codes %j as %s', (name, code) => {
    expect(soundex(name)).toBe(code);
  });

  it('is empty for a name without letters', () => {
    expect(soundex('')).toBe('');
    expect(soundex('42')).toBe('');
  });
});

describe('phoneticCode', () => {
  it.each([
    ['catherine', 'kathryn'],
    ['terry', 'teri'],
    ['cindy', 'cyndi'],
    ['philip', 'filip'],
    ['steven', 'stephen'],
  ])('hears %s and %s alike', (a, b) => {
    expect(phoneticCode(a)).toBe(phoneticCode(b));
  });

  it('keeps different names apart', () => {
    expect(phoneticCode('mary')).not.toBe(phoneticCode('martha'));
    expect(phoneticCode('')).toBe('');
  });
});

// Both codes are read in place for speed; this is the plain reading of the algorithm they must keep to.
describe('soundex and phoneticCode against a plain implementation', () => {
  const DIGITS: Record<string, string> = {
    b: '1',
    f: '1',
    p: '1',
    v: '1',
    c: '2',
    g: '2',
    j: '2',
    k: '2',
    q: '2',
    s: '2',
    x: '2',
    z: '2',
    d: '3',
    t: '3',
    l: '4',
    m: '5',
    n: '5',
    r: '6',
  };
  function plainSoundex(name: string): string {
    const letters = name.replace(/[^a-z]/g, '');
    const head = letters[0];
    if (head === undefined) return '';
    let code = head.toUpperCase();
    let previous = DIGITS[head] ?? '';
    for (const letter of letters.slice(1)) {
      if (code.length >= 4) break;
      const digit = DIGITS[letter];
      if (digit !== undefined) {
        if (digit !== previous) code += digit;
        previous = digit;
      } else if (letter !== 'h' && letter !== 'w') previous = '';
    }
    return code.padEnd(4, '0');
  }
  const SOUND: Record<string, string> = { c: 'k', q: 'k', z: 's', y: 'i', e: 'a', o: 'a', u: 'a', i: 'a', j: 'g' };
  function plainPhonetic(name: string): string {
    const letters = name.replace(/[^a-z]/g, '');
    if (letters === '') return '';
    const spelled = letters.startsWith('ph') ? `f${letters.slice(2)}` : letters;
    const head = spelled[0] ?? '';
    return `${SOUND[head] ?? head}${plainSoundex(spelled).slice(1)}`;
  }

  it('agree on 20,000 random names (letters, spaces, digits, hyphens, ph- and h/w runs)', () => {
    let state = 5;
    const random = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 4294967296;
    };
    const alphabet = 'abcdefghijklmnopqrstuvwxyz hw-1ph';
    for (let index = 0; index < 20_000; index += 1) {
      let name = Array.from({ length: Math.floor(random() * 12) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      if (random() < 0.2) name = `ph${name}`;
      if (random() < 0.1) name = ` -${name}`;
      if (soundex(name) !== plainSoundex(name) || phoneticCode(name) !== plainPhonetic(name)) {
        expect([name, soundex(name), phoneticCode(name)]).toEqual([name, plainSoundex(name), plainPhonetic(name)]);
      }
    }
  });
});
