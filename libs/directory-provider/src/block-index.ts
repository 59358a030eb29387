// People filed under block-key hashes, in flat typed arrays instead of a Map of arrays: a directory
// of 100,000 people has over a million (key, person) pairs, and a Map of that many small arrays costs
// seconds of garbage collection to build. Pairs are collected as they are added, then radix-sorted
// once into an open-addressing table (key -> range of people) on the first look-up after a change.
const RADIX_BITS = 15;
const RADIX = 1 << RADIX_BITS;
const EMPTY = -1;

function grow(array: Int32Array): Int32Array {
  const grown = new Int32Array(array.length * 2);
  grown.set(array);
  return grown;
}

// Stable counting sort of the pairs by one 15-bit digit of the key.
function sortByDigit(keys: Int32Array, people: Int32Array, count: number, shift: number): [Int32Array, Int32Array] {
  const starts = new Int32Array(RADIX + 1);
  for (let index = 0; index < count; index += 1) {
    const digit = ((keys[index] ?? 0) >>> shift) & (RADIX - 1);
    starts[digit + 1] = (starts[digit + 1] ?? 0) + 1;
  }
  for (let digit = 1; digit <= RADIX; digit += 1) {
    starts[digit] = (starts[digit] ?? 0) + (starts[digit - 1] ?? 0);
  }
  const sortedKeys = new Int32Array(count);
  const sortedPeople = new Int32Array(count);
  for (let index = 0; index < count; index += 1) {
    const key = keys[index] ?? 0;
    const digit = (key >>> shift) & (RADIX - 1);
    const position = starts[digit] ?? 0;
    starts[digit] = position + 1;
    sortedKeys[position] = key;
    sortedPeople[position] = people[index] ?? 0;
  }
  return [sortedKeys, sortedPeople];
}

export class BlockIndex {
  private keys: Int32Array = new Int32Array(1 << 16);
  private people: Int32Array = new Int32Array(1 << 16);
  private pairCount = 0;
  private sealed = true;
  private slotKeys: Int32Array = new Int32Array(0);
  private slotStarts: Int32Array = new Int32Array(0);
  private slotEnds: Int32Array = new Int32Array(0);
  private members: Int32Array = new Int32Array(0);

  // keyHash: a non-negative 30-bit hash.
  add(keyHash: number, person: number): void {
    if (this.pairCount === this.keys.length) {
      this.keys = grow(this.keys);
      this.people = grow(this.people);
    }
    this.keys[this.pairCount] = keyHash;
    this.people[this.pairCount] = person;
    this.pairCount += 1;
    this.sealed = false;
  }

  // The people filed under a key: membersArray()[start .. end), in the order they were added.
  range(keyHash: number): { start: number; end: number } | undefined {
    this.seal();
    const mask = this.slotKeys.length - 1;
    for (let slot = keyHash & mask; ; slot = (slot + 1) & mask) {
      const stored = this.slotKeys[slot] ?? EMPTY;
      if (stored === EMPTY) {
        return undefined;
      }
      if (stored === keyHash) {
        return { start: this.slotStarts[slot] ?? 0, end: this.slotEnds[slot] ?? 0 };
      }
    }
  }

  membersArray(): Int32Array {
    this.seal();
    return this.members;
  }

  seal(): void {
    if (this.sealed) {
      return;
    }
    const count = this.pairCount;
    const [lowSortedKeys, lowSortedPeople] = sortByDigit(this.keys, this.people, count, 0);
    const [keys, people] = sortByDigit(lowSortedKeys, lowSortedPeople, count, RADIX_BITS);
    let distinctKeys = 0;
    for (let index = 0; index < count; index += 1) {
      if (index === 0 || keys[index] !== keys[index - 1]) {
        distinctKeys += 1;
      }
    }
    let size = 16;
    while (size < distinctKeys * 2) {
      size *= 2;
    }
    const slotKeys = new Int32Array(size).fill(EMPTY);
    const slotStarts = new Int32Array(size);
    const slotEnds = new Int32Array(size);
    const mask = size - 1;
    let start = 0;
    while (start < count) {
      const key = keys[start] ?? 0;
      let end = start + 1;
      while (end < count && keys[end] === key) {
        end += 1;
      }
      let slot = key & mask;
      while (slotKeys[slot] !== EMPTY) {
        slot = (slot + 1) & mask;
      }
      slotKeys[slot] = key;
      slotStarts[slot] = start;
      slotEnds[slot] = end;
      start = end;
    }
    this.slotKeys = slotKeys;
    this.slotStarts = slotStarts;
    this.slotEnds = slotEnds;
    this.members = people;
    this.sealed = true;
  }
}
