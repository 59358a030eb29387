import { BlockIndex } from '../src/block-index';

function peopleOf(index: BlockIndex, key: number): number[] {
  const range = index.range(key);
  return range === undefined ? [] : [...index.membersArray().subarray(range.start, range.end)];
}

describe('BlockIndex', () => {
  it('files people under keys in the order they were added, and finds every key of a table filled to its limit', () => {
    const index = new BlockIndex();
    const expected = new Map<number, number[]>();
    // 3,000 keys: the table is sized to at most three quarters full, so probing must wrap and step past neighbours.
    for (let person = 0; person < 9000; person += 1) {
      const key = (person * 7919) % 3000;
      index.add(key, person);
      expected.set(key, [...(expected.get(key) ?? []), person]);
    }
    index.seal();
    for (const [key, people] of expected) expect(peopleOf(index, key)).toEqual(people);
    expect(index.range(3001)).toBeUndefined();
    const slots = index.slotsArray().length / 3;
    expect(slots).toBe(4096);
  });

  it('takes more people after seal() and keeps the earlier people of a key first', () => {
    const index = new BlockIndex();
    index.add(5, 0);
    index.add(9, 1);
    index.add(5, 2);
    index.seal();
    expect(peopleOf(index, 5)).toEqual([0, 2]);
    index.add(9, 3);
    index.add(5, 4);
    index.add(12, 5);
    expect(peopleOf(index, 5)).toEqual([0, 2, 4]);
    expect(peopleOf(index, 9)).toEqual([1, 3]);
    expect(peopleOf(index, 12)).toEqual([5]);
  });

  it('takes people after sealing while empty', () => {
    const index = new BlockIndex();
    index.seal();
    expect(index.range(1)).toBeUndefined();
    index.add(1, 7);
    expect(peopleOf(index, 1)).toEqual([7]);
  });
});
