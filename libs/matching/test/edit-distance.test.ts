import { withinOneEdit } from '../src/edit-distance';

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
