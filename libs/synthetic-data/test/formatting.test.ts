import { normalizeFieldValue, sameFieldValue } from '../src';
import { changeCaseOrAccents } from '../src/book/case-and-accents';
import { typoName } from '../src/book/typos';
import { Random } from '../src/random/random';
import { formatDate } from '../src/values/dates';
import { formatPhone, PHONE_FORMATS } from '../src/values/phones';

/** Optimal string alignment distance: one substitution, deletion, insertion or adjacent swap counts 1. */
function editDistance(left: string, right: string): number {
  const rows = Array.from({ length: left.length + 1 }, (_, i) => Array.from({ length: right.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= left.length; i++) {
    for (let j = 1; j <= right.length; j++) {
      const cost = left[i - 1] === right[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && left[i - 1] === right[j - 2] && left[i - 2] === right[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      const row = rows[i];
      if (row !== undefined) {
        row[j] = best;
      }
    }
  }
  return at(left.length, right.length);
}

describe('phone formats', () => {
  it('writes the five common US forms and keeps the number', () => {
    const forms = PHONE_FORMATS.map((format) => formatPhone('+14155550134', format));
    expect(forms).toEqual(['+14155550134', '(415) 555-0134', '415-555-0134', '415.555.0134', '4155550134', '+1 415 555 0134']);
    for (const form of forms) {
      expect(sameFieldValue('phone', form, '+14155550134')).toBe(true);
    }
    expect(sameFieldValue('phone', '4155550135', '+14155550134')).toBe(false);
  });
});

describe('date formats', () => {
  it('writes ISO, US and long forms that normalize back to ISO', () => {
    expect(formatDate('1985-03-04', 'iso')).toBe('1985-03-04');
    expect(formatDate('1985-03-04', 'us')).toBe('03/04/1985');
    expect(formatDate('1985-03-04', 'long')).toBe('March 4, 1985');
    for (const form of ['1985-03-04', '03/04/1985', 'March 4, 1985']) {
      expect(normalizeFieldValue('birth_date', form)).toBe('1985-03-04');
    }
  });
});

describe('reference normalization', () => {
  it.each([
    ['email', ' John.Smith@Gmail.COM  ', 'john.smith@gmail.com'],
    ['country', 'United States', 'US'],
    ['country', 'USA', 'US'],
    ['state', 'Illinois', 'IL'],
    ['state', 'District of Columbia', 'DC'],
    ['first_name', 'JOSÉ', 'Jose'],
    ['first_name', 'Mary  Ann ', 'mary ann'],
    ['last_name', 'zoë', 'Zoe'],
  ] as const)('%s: %j is the same as %j', (field, left, right) => {
    expect(sameFieldValue(field, left, right)).toBe(true);
  });

  it('tells different values apart', () => {
    expect(sameFieldValue('first_name', 'Bob', 'Robert')).toBe(false);
    expect(sameFieldValue('email', 'a@x.com', 'b@x.com')).toBe(false);
    expect(sameFieldValue('state', 'TX', 'Texas ')).toBe(true);
    expect(sameFieldValue('state', 'TX', 'OK')).toBe(false);
  });
});

describe('typos', () => {
  it('makes exactly one edit and keeps title case', () => {
    const random = new Random(1);
    const operations = new Set<string>();
    for (const name of ['Robert', 'Al', 'Anne', "O'Brien", 'Mary Ann', 'Smith-Jones', 'José', 'Li']) {
      for (let attempt = 0; attempt < 50; attempt++) {
        const typo = typoName(random, name);
        expect(typo).toBeDefined();
        if (typo === undefined) {
          continue;
        }
        operations.add(typo.operation);
        expect(editDistance(typo.name.toLowerCase(), name.toLowerCase())).toBe(1);
        expect(typo.name.slice(0, 1)).toBe(typo.name.slice(0, 1).toUpperCase());
      }
    }
    expect([...operations].sort()).toEqual(['deletion', 'insertion', 'substitution', 'transposition']);
  });
});

describe('case and accents', () => {
  it('changes the written form but not the name', () => {
    const random = new Random(2);
    const changes = new Set<string>();
    for (const name of ['Zoe', 'José', 'Mcdonald', 'Lynn', 'Renée']) {
      for (let attempt = 0; attempt < 40; attempt++) {
        const changed = changeCaseOrAccents(random, name);
        changes.add(changed.change);
        expect(changed.name).not.toBe(name);
        expect(sameFieldValue('first_name', changed.name, name)).toBe(true);
      }
    }
    expect([...changes].sort()).toEqual(['accents_added', 'accents_removed', 'lower', 'upper', 'upper_accents_added']);
  });
});
