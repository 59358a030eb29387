import { censusNames, frequencyWeights } from '../src/data/census-names';
import { nicknamesByName } from '../src/data/nicknames';
import { Random } from '../src/random/random';
import { hasAccents, stripAccents } from '../src/text/accents';
import { titleCase } from '../src/text/title-case';
import { drawPersonName } from '../src/values/names';

describe('titleCase', () => {
  it.each([
    ['SMITH', 'Smith'],
    ['MARY ANN', 'Mary Ann'],
    ["O'BRIEN", "O'Brien"],
    ["D'", "D'"],
    ["'", "'"],
    ['SMITH-JONES', 'Smith-Jones'],
    ['MCDONALD', 'Mcdonald'],
    ['', ''],
    ['ÉLODIE', 'Élodie'],
  ])('%s -> %s', (input, expected) => {
    expect(titleCase(input)).toBe(expected);
  });
});

describe('accents', () => {
  it('strips accents and leaves ASCII alone', () => {
    expect(stripAccents('José Zoë Muñoz')).toBe('Jose Zoe Munoz');
    expect(stripAccents('Smith')).toBe('Smith');
    expect(hasAccents('Chloé')).toBe(true);
    expect(hasAccents('Chloe')).toBe(false);
  });
});

describe('frequencyWeights', () => {
  it('spreads the cumulative frequency of a run of rounded-to-zero names evenly over the run', () => {
    const weights = frequencyWeights([
      { frequency: 0.5, cumulative: 0.5 },
      { frequency: 0.002, cumulative: 0.502 },
      { frequency: 0, cumulative: 0.503 },
      { frequency: 0, cumulative: 0.504 },
      { frequency: 0, cumulative: 0.506 },
    ]);
    expect(weights.slice(0, 2)).toEqual([0.5, 0.002]);
    for (const weight of weights.slice(2)) {
      expect(weight).toBeCloseTo(0.004 / 3, 10);
    }
  });
});

describe('census names', () => {
  it('loads all first names and the top 20,000 surnames', () => {
    const census = censusNames();
    // Percent of the population; the rounded frequencies add up to a little more than the cumulative 78.04.
    expect(census.surnames.totalWeight).toBeGreaterThan(77);
    expect(census.surnames.totalWeight).toBeLessThan(81);
    expect(census.firstNames.female.totalWeight).toBeGreaterThan(89);
    expect(census.firstNames.male.totalWeight).toBeGreaterThan(89);
  });

  it('draws names by frequency: Smith is about 1.3% of the drawn surnames (1.006% of 78%)', () => {
    const random = new Random(5);
    let smiths = 0;
    const draws = 40_000;
    for (let draw = 0; draw < draws; draw++) {
      if (stripAccents(drawPersonName(random).last) === 'Smith') {
        smiths++;
      }
    }
    expect(smiths / draws).toBeGreaterThan(0.0105);
    expect(smiths / draws).toBeLessThan(0.0155);
  });

  it('title-cases names, sometimes keeps accents, and builds compound names', () => {
    const random = new Random(11);
    const names = Array.from({ length: 20_000 }, () => drawPersonName(random));
    for (const name of names.slice(0, 500)) {
      expect(name.first).toMatch(/^\p{Lu}\p{Ll}+([ ]\p{Lu}\p{Ll}+)?$/u);
      expect(name.last).toMatch(/^\p{Lu}\p{Ll}+(-\p{Lu}\p{Ll}+)?$/u);
    }
    expect(names.some((name) => hasAccents(name.first) || hasAccents(name.last))).toBe(true);
    expect(names.some((name) => name.first.includes(' '))).toBe(true);
    expect(names.some((name) => name.last.includes('-'))).toBe(true);
  });
});

describe('nickname table', () => {
  it('holds common pairs only', () => {
    const table = nicknamesByName();
    expect(table.get('robert')).toEqual(expect.arrayContaining(['bob', 'rob']));
    expect(table.get('william')).toContain('bill');
    expect(table.get('elizabeth')).toContain('liz');
    expect(table.get('robert')).not.toContain('dob');
  });
});
