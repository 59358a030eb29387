import { standardizeContact } from '@refinery/contacts';
import { DirectoryProvider } from '@refinery/directory-provider';
import { type Candidate, comparableCandidate } from '@refinery/matching';
import { PeopleCache, PeopleTableBuilder } from '../src/people-table';
import { DIRECTORY_CSV, withTempFile } from './fixtures';

const ASKED = [
  { first_name: 'John', last_name: 'Smith', email: 'john.smith@acme.example' },
  { first_name: 'Jon', last_name: 'Smyth' },
  { first_name: 'Maria', last_name: 'Garcia' },
  { first_name: 'Bob', last_name: 'Jones', company: 'Initech' },
  { first_name: 'Bill', last_name: 'Taylor' },
].map((fields) => standardizeContact(fields));

function loadFixture(): Promise<DirectoryProvider> {
  return withTempFile('directory.csv', DIRECTORY_CSV, (path) => DirectoryProvider.fromFile(path));
}

// What a candidate is to the matcher and in the output: its JSON (the fields' order included) and its comparable form.
function asMatched(candidates: readonly Candidate[]): unknown[] {
  return candidates.map((candidate) => ({ json: JSON.stringify(candidate), comparable: comparableCandidate(candidate) }));
}

describe('a shared directory', () => {
  it('keeps every array on a SharedArrayBuffer, so another thread reads the same memory instead of a copy', async () => {
    const shared = (await loadFixture()).shared();
    const arrays = [shared.blockSlots, shared.blockMembers, shared.fingerprints, ...Object.values(shared.people).filter(ArrayBuffer.isView)];
    expect(arrays).toHaveLength(10);
    for (const array of arrays) expect((array as Int32Array).buffer).toBeInstanceOf(SharedArrayBuffer);
    // Structured cloning (workerData, postMessage) shares the memory: a write through the clone shows in the original.
    const cloned = structuredClone(shared);
    const before = shared.fingerprints[0];
    cloned.fingerprints[0] = 12345;
    expect(shared.fingerprints[0]).toBe(12345);
    cloned.fingerprints[0] = before ?? 0;
  });

  it('answers through fromShared (as a worker thread does, from a clone) exactly what the loading provider answers', async () => {
    const loaded = await loadFixture();
    const reader = DirectoryProvider.fromShared(structuredClone(loaded.shared()));
    expect(reader.size).toBe(loaded.size);
    expect(reader.population).toBe(26);
    const expected = await loaded.findCandidates(ASKED);
    expect(expected.flat().length).toBeGreaterThan(5);
    expect((await reader.findCandidates(ASKED)).map(asMatched)).toEqual(expected.map(asMatched));
  });

  it('reads a provider built from records too', () => {
    const provider = DirectoryProvider.fromRecords([{ id: 'a', fields: standardizeContact({ first_name: 'Ann', last_name: 'Lee' }) }]);
    const reader = DirectoryProvider.fromShared(provider.shared());
    expect(reader.candidatesFor(standardizeContact({ first_name: 'Ann', last_name: 'Lee' })).map((candidate) => candidate.id)).toEqual(['a']);
  });
});

describe('the people table', () => {
  const people: Candidate[] = [
    { id: 'p1', fields: { last_name: 'Łukasiewicz', first_name: 'Jan', city: 'Kraków' }, updatedAt: '2024-01-02' },
    { id: 'p2', fields: { first_name: 'Zoë', email: 'zoe@example.com', last_name: '李' } },
    // A lone surrogate survives (UTF-16 stored as it is, not re-encoded).
    { id: 'p3', fields: { first_name: 'X\ud800', last_name: 'Jan' } },
  ];

  function table() {
    const builder = new PeopleTableBuilder();
    for (const person of people) builder.add(person);
    return builder.seal();
  }

  it('gives every person back as loaded: id, updatedAt only when present, the fields in their order, every character', () => {
    const cache = new PeopleCache(table(), 3);
    people.forEach((person, index) => {
      const made = cache.candidate(index);
      expect(JSON.stringify(made)).toBe(JSON.stringify(person));
      expect(Object.keys(made.fields)).toEqual(Object.keys(person.fields));
      expect('updatedAt' in made).toBe(person.updatedAt !== undefined);
    });
  });

  it('keeps up to its limit of people made, letting go of the one kept longest first', () => {
    const cache = new PeopleCache(table(), 2);
    const first = cache.candidate(0);
    const second = cache.candidate(1);
    expect(cache.candidate(0)).toBe(first);
    cache.candidate(2); // the third person: the first made is let go
    expect(cache.candidate(1)).toBe(second);
    const again = cache.candidate(0);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    const none = new PeopleCache(table(), 0);
    expect(none.candidate(1)).not.toBe(none.candidate(1));
  });

  it('refuses a field that is not a standardized text field', () => {
    const builder = new PeopleTableBuilder();
    expect(() => builder.add({ id: 'q', fields: { nickname: 'x' } as never })).toThrow(
      'directory person "q": field "nickname" is not a standardized text field',
    );
  });
});
