import { jaroWinkler } from '@refinery/matching';

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
