// People filed under block-key hashes, in flat typed arrays instead of a Map of arrays: a directory
// of 100,000 people has over a million (key, person) pairs, and a Map of that many small arrays costs
// seconds of garbage collection to build. Pairs are collected as they are added, then radix-sorted
// once into an open-addressing table (key -> range of people) on the first look-up after a change.
const RADIX_BITS = 15;
const RADIX = 1 << RADIX_BITS;
const EMPTY = -1;
const SLOT_WIDTH = 3;

function grow(array: Int32Array): Int32Array {
  const grown = new Int32Array(Math.max(array.length * 2, 1 << 16));
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
  // The open-addressing table, a slot being three numbers side by side — key, start, end — so a look-up reads one
  // place in memory, not three (the table of a large directory is far bigger than the processor's caches).
  private slots: Int32Array = new Int32Array(0);
  private members: Int32Array = new Int32Array(0);

  // keyHash: a non-negative 30-bit hash.
  add(keyHash: number, person: number): void {
    if (this.sealed && this.pairCount > 0) this.unseal();
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
    const at = this.find(keyHash);
    return at === EMPTY ? undefined : { start: this.slots[at + 1] ?? 0, end: this.slots[at + 2] ?? 0 };
  }

  // The same without an object per look-up: where the key's slot starts in slots() (its start at + 1, its end
  // at + 2), or -1 when nobody is filed under it.
  find(keyHash: number): number {
    this.seal();
    const slots = this.slots;
    const mask = slots.length / SLOT_WIDTH - 1;
    for (let slot = keyHash & mask; ; slot = (slot + 1) & mask) {
      const at = slot * SLOT_WIDTH;
      const stored = slots[at] ?? EMPTY;
      if (stored === EMPTY) {
        return EMPTY;
      }
      if (stored === keyHash) {
        return at;
      }
    }
  }

  // Reads the first slot each of keyHashes[0 .. count) would be looked for in, and nothing else: independent reads in
  // a short loop, which the processor overlaps, so the finds that follow find their slots in the cache. Returns what
  // it read, for the caller to keep (a read whose result is unused may be dropped by the compiler).
  touch(keyHashes: Int32Array, count: number): number {
    this.seal();
    const slots = this.slots;
    const mask = slots.length / SLOT_WIDTH - 1;
    let touched = 0;
    for (let index = 0; index < count; index += 1) {
      touched += slots[((keyHashes[index] ?? 0) & mask) * SLOT_WIDTH] ?? 0;
    }
    return touched;
  }

  slotsArray(): Int32Array {
    this.seal();
    return this.slots;
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
    // At most three quarters full (a power of two, so between 3/8 and 3/4): a look-up that misses reads a few
    // neighbouring slots, 12 bytes each, mostly in the same cache line. At most half full, as before, the table of a
    // 100,000-person directory took 48 MB instead of 24.
    let size = 16;
    while (size * 3 < distinctKeys * 4) {
      size *= 2;
    }
    const slots = new Int32Array(size * SLOT_WIDTH);
    for (let at = 0; at < slots.length; at += SLOT_WIDTH) slots[at] = EMPTY;
    const mask = size - 1;
    let start = 0;
    while (start < count) {
      const key = keys[start] ?? 0;
      let end = start + 1;
      while (end < count && keys[end] === key) {
        end += 1;
      }
      let slot = key & mask;
      while (slots[slot * SLOT_WIDTH] !== EMPTY) {
        slot = (slot + 1) & mask;
      }
      slots[slot * SLOT_WIDTH] = key;
      slots[slot * SLOT_WIDTH + 1] = start;
      slots[slot * SLOT_WIDTH + 2] = end;
      start = end;
    }
    this.slots = slots;
    this.members = people;
    this.sealed = true;
    // The pairs are in the table now (members in key order, each key's range in the slots): not held twice.
    this.keys = new Int32Array(0);
    this.people = new Int32Array(0);
  }

  // Back to pairs, for an add after seal(): each member with its key, in key order; a stable sort keeps each key's
  // people in the order they were added.
  private unseal(): void {
    const count = this.pairCount;
    const keys = new Int32Array(Math.max(count * 2, 1 << 16));
    const people = new Int32Array(keys.length);
    people.set(this.members);
    for (let at = 0; at < this.slots.length; at += SLOT_WIDTH) {
      const key = this.slots[at] ?? EMPTY;
      if (key === EMPTY) continue;
      keys.fill(key, this.slots[at + 1] ?? 0, this.slots[at + 2] ?? 0);
    }
    this.keys = keys;
    this.people = people;
    this.sealed = false;
  }
}
