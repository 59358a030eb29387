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
