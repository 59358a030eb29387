import type { ContactFields } from '@refinery/contacts';
import {
  type Candidate,
  type ComparableContact,
  comparableCandidate,
  comparableContact,
  type NicknameLookup,
  prepareCandidate,
  soundex,
} from '@refinery/matching';
import { BlockIndex } from './block-index';
import {
  birthDateKey,
  deletionKeys,
  detailKeys,
  emailKey,
  fullNameKeyFrom,
  fullNameKeyPrefix,
  lastNameKeys,
  nameKeys,
  phoneKey,
  phoneticKey,
  swappedNameKeys,
} from './block-keys';
import { CORROBORATING, hashText, SLOT, STRIDE, writeFingerprint } from './fingerprint';
import { initialClass } from './initial-class';
import { PeopleCache, PeopleTableBuilder, type SharedPeople, sharedInt32 } from './people-table';

export interface DirectoryIndexOptions {
  nicknames: NicknameLookup;
  // Longest candidate list handed to the matcher.
  maxCandidates: number;
  // Broad blocks (last name, Soundex, one letter off) bigger than this are skipped: in a directory of
  // millions one common surname would cost more than it is worth, while the identifier, full-name
  // and nickname keys still find the likely candidates.
  maxBucketScan: number;
  // How many people this thread keeps made into candidates (PeopleCache); default every one of them.
  keptPeople?: number;
}

/**
 * A sealed index as plain shared memory (every array on a SharedArrayBuffer): what `DirectoryIndex.shared()` gives and
 * `DirectoryIndex.fromShared` reads in place, in this thread or another (structured cloning shares, never copies, it).
 */
export interface SharedDirectory {
  readonly people: SharedPeople;
  readonly blockSlots: Int32Array;
  readonly blockMembers: Int32Array;
  readonly fingerprints: Int32Array;
}

// What a contact's first name looks up, the same for every contact of that name.
interface KnownFirstName {
  // The nickname variants' hashes, for the ranking.
  hashes: Int32Array;
  // The name, its first word and its nickname variants, each once: the full-name keys' first names, as the hash state
  // after each (fullNameKeyPrefix), so a look-up hashes only the last name of each full-name key.
  spellingPrefixes: Int32Array;
  // initialClass and soundex of the name, which several keys and the fingerprint use.
  initial: string;
  soundex: string;
}

// A contact's block keys, reused from one look-up to the next.
class LookupKeys {
  hashes = new Int32Array(64);
  // 1 for a broad key (surname, phonetic, one-letter-off, details): skipped when its block is huge.
  broad = new Uint8Array(64);
  count = 0;

  add(hash: number, broad: boolean): void {
    if (this.count === this.hashes.length) {
      const hashes = new Int32Array(this.count * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
      const broadKeys = new Uint8Array(this.count * 2);
      broadKeys.set(this.broad);
      this.broad = broadKeys;
    }
    this.hashes[this.count] = hash;
    this.broad[this.count] = broad ? 1 : 0;
    this.count += 1;
  }
}

// Relative weights of the cheap ranking. Shared identifiers first; then corroborating fields, since
// the matcher accepts no name without one; names last, so a block of namesakes ranks the namesake
// who also shares an employer or a street above the ones who only share the name.
const QUICK_WEIGHTS = {
  identifier: 8,
  corroborating: 3,
  birthDate: 4,
  sameFirst: 3,
  nicknameFirst: 2,
  sameInitial: 1,
  sameLast: 3,
  soundsLikeLast: 1.5,
} as const;
// Module constants rather than imported bindings: compiled CommonJS reads imports through getters.
const EMAIL_SLOT = SLOT.email;
const PHONE_SLOT = SLOT.phone;
const FIRST_SLOT = SLOT.first;
const FIRST_TOKEN_SLOT = SLOT.firstToken;
const LAST_SLOT = SLOT.last;
const SOUNDEX_SLOT = SLOT.soundex;
const INITIAL_SLOT = SLOT.initial;
const FIRST_CORROBORATING_SLOT = SLOT.corroborating;
const STRIDE_LENGTH = STRIDE;
const BIRTH_DATE_SLOT = SLOT.corroborating + CORROBORATING.indexOf('birth_date');
const NO_VARIANTS: ReadonlySet<string> = new Set();
const REMEMBERED_FIRST_NAMES = 50_000;
// People in memory, filed under block keys, answering "who could this contact be?".
export class DirectoryIndex {
  // While loading, the people as they come (each one's values written once to shared memory); sealed, the table and a
  // cache of the people this thread made into candidates (a look-up returns a few of them).
  private builder: PeopleTableBuilder | undefined = new PeopleTableBuilder();
  private sharedPeople: SharedPeople | undefined;
  private cache: PeopleCache | undefined;
  // Keys are kept as hashes: two keys sharing a hash only merge two blocks, and the matcher
  // compares the real values anyway.
  private blocks = new BlockIndex();
  private ids = new Set<string>();
  private fingerprints: Int32Array = new Int32Array(STRIDE * 1024);
  private seen = new Uint32Array(0);
  private generation = 0;
  // Reused between look-ups: the ranking allocates nothing per person.
  private readonly subjectPrint = new Int32Array(STRIDE);
  private readonly topIndexes: number[] = [];
  private readonly topScores: number[] = [];
  private readonly keys = new LookupKeys();
  // The blocks a look-up ranks, as ranges of the block index's members: blockStarts[i] .. blockEnds[i].
  private blockStarts = new Int32Array(64);
  private blockEnds = new Int32Array(64);
  private readonly nicknamesByFirstName = new Map<string, KnownFirstName>();
  // What the fetching passes of a look-up read, kept so that the compiler cannot drop the reads.
  private touched = 0;

  constructor(private readonly options: DirectoryIndexOptions) {}

  // A sealed index, shared by another (`shared()`, perhaps of another thread): its arrays are read in place.
  static fromShared(shared: SharedDirectory, options: DirectoryIndexOptions): DirectoryIndex {
    const index = new DirectoryIndex(options);
    index.builder = undefined;
    index.blocks = BlockIndex.sealed(shared.blockSlots, shared.blockMembers);
    index.fingerprints = shared.fingerprints;
    index.sharedPeople = shared.people;
    index.cache = new PeopleCache(shared.people, options.keptPeople ?? shared.people.count);
    return index;
  }

  get size(): number {
    return this.sharedPeople?.count ?? this.builder?.size ?? 0;
  }

  add(candidate: Candidate): void {
    const builder = this.builder;
    if (builder === undefined) throw new Error('a sealed directory index takes no more people');
    if (this.ids.has(candidate.id)) {
      throw new Error(`duplicate directory id "${candidate.id}"`);
    }
    this.ids.add(candidate.id);
    const index = builder.size;
    // The comparable form, for the person's fingerprint and block keys only: the person is kept as its values, in the
    // shared table, and made into a candidate again when a look-up returns it (PeopleCache).
    const person = comparableCandidate(prepareCandidate(candidate));
    builder.add(candidate);
    if ((index + 1) * STRIDE_LENGTH > this.fingerprints.length) {
      const grown = new Int32Array(this.fingerprints.length * 2);
      grown.set(this.fingerprints);
      this.fingerprints = grown;
    }
    writeFingerprint(person, this.fingerprints, index * STRIDE_LENGTH);
    const keys = nameKeys(person);
    keys.push(...detailKeys(person));
    if (person.email !== undefined) {
      keys.push(emailKey(person.email));
    }
    if (person.phone !== undefined) {
      keys.push(phoneKey(person.phone));
    }
    const filed: number[] = [];
    for (const key of keys) {
      if (!filed.includes(key)) {
        filed.push(key);
        this.blocks.add(key, index);
      }
    }
  }

  // Builds the look-up tables now rather than on the first look-up, writes everything to shared memory and lets go of
  // what only loading needed. No one is added after it.
  seal(): void {
    const builder = this.builder;
    if (builder === undefined) return;
    this.blocks.seal();
    this.sharedPeople = builder.seal();
    this.builder = undefined;
    this.ids = new Set();
    // Grown by doubling while loading: up to half of it unused.
    this.fingerprints = sharedInt32(this.fingerprints, Math.max(this.sharedPeople.count * STRIDE_LENGTH, STRIDE_LENGTH));
    this.cache = new PeopleCache(this.sharedPeople, this.options.keptPeople ?? this.sharedPeople.count);
  }

  // The sealed index as shared memory, for DirectoryIndex.fromShared in another thread.
  shared(): SharedDirectory {
    this.seal();
    return {
      people: this.sharedPeople as SharedPeople,
      blockSlots: this.blocks.slotsArray(),
      blockMembers: this.blocks.membersArray(),
      fingerprints: this.fingerprints,
    };
  }

  candidatesFor(contact: ContactFields): Candidate[] {
    this.seal();
    const subject = comparableContact(contact);
    const known = this.nicknamesOf(subject);
    const variantHashes = known.hashes;
    // Once per look-up, not once per key that uses it (the fingerprint, the phonetic and two detail keys).
    const lastSoundex = subject.lastCompact === '' ? '' : soundex(subject.lastCompact);
    writeFingerprint(subject, this.subjectPrint, 0, lastSoundex, known.initial);
    const generation = this.nextGeneration();
    this.topIndexes.length = 0;
    this.topScores.length = 0;
    const keys = this.lookupKeys(subject, known, lastSoundex);
    const members = this.blocks.membersArray();
    const slots = this.blocks.slotsArray();
    // The look-up waits on memory, not on arithmetic: the block table and the fingerprints of a large directory are
    // far bigger than the processor's caches, and each key's slot and each person's fingerprint is a miss. So each
    // kind is fetched in a short loop of independent reads of its own — first every key's slot, then every person of
    // every block — which lets the processor wait for many at once; the ranking then finds them at hand. The order
    // in which people are ranked (keys in look-up order, each block in file order) is the same as one pass.
    this.touched = this.blocks.touch(keys.hashes, keys.count);
    let ranges = 0;
    for (let at = 0; at < keys.count; at += 1) {
      const slot = this.blocks.find(keys.hashes[at] ?? 0);
      if (slot < 0) {
        continue;
      }
      const start = slots[slot + 1] ?? 0;
      const end = slots[slot + 2] ?? 0;
      if (keys.broad[at] === 1 && end - start > this.options.maxBucketScan) {
        continue;
      }
      this.blockStarts[ranges] = start;
      this.blockEnds[ranges] = end;
      ranges += 1;
    }
    let touched = 0;
    for (let range = 0; range < ranges; range += 1) {
      const end = this.blockEnds[range] ?? 0;
      for (let position = this.blockStarts[range] ?? 0; position < end; position += 1) {
        touched += this.fingerprints[(members[position] ?? 0) * STRIDE_LENGTH + FIRST_SLOT] ?? 0;
      }
    }
    this.touched += touched;
    for (let range = 0; range < ranges; range += 1) {
      const end = this.blockEnds[range] ?? 0;
      for (let position = this.blockStarts[range] ?? 0; position < end; position += 1) {
        this.consider(members[position] ?? 0, generation, variantHashes);
      }
    }
    const found: Candidate[] = [];
    const cache = this.cache as PeopleCache;
    for (const index of this.topIndexes) {
      found.push(cache.candidate(index));
    }
    return found;
  }

  private consider(index: number, generation: number, variantHashes: Int32Array): void {
    if (this.seen[index] !== generation) {
      this.seen[index] = generation;
      this.keepIfTop(index, this.quickScore(variantHashes, index * STRIDE_LENGTH));
    }
  }

  // A first name's variants and their hashes depend on the name alone; books repeat the same few thousand names.
  private nicknamesOf(subject: ComparableContact): KnownFirstName {
    let known = this.nicknamesByFirstName.get(subject.first);
    if (known === undefined) {
      const variants = this.variantsOf(subject);
      const spellings = [...new Set([subject.first, subject.firstToken, ...variants])];
      known = {
        hashes: Int32Array.from(variants, hashText),
        spellingPrefixes: Int32Array.from(spellings, fullNameKeyPrefix),
        initial: initialClass(subject.first),
        soundex: soundex(subject.first),
      };
      if (this.nicknamesByFirstName.size >= REMEMBERED_FIRST_NAMES) this.nicknamesByFirstName.clear();
      this.nicknamesByFirstName.set(subject.first, known);
    }
    return known;
  }

  private variantsOf(subject: ComparableContact): ReadonlySet<string> {
    if (subject.first === '') {
      return NO_VARIANTS;
    }
    const variants = this.options.nicknames.variantsOf(subject.first);
    if (subject.firstToken === subject.first) {
      return variants;
    }
    return new Set([...variants, ...this.options.nicknames.variantsOf(subject.firstToken)]);
  }

  // The contact's block keys in look-up order, written into the reused key list (no object per key).
  private lookupKeys(subject: ComparableContact, known: KnownFirstName, lastSoundex: string): LookupKeys {
    const keys = this.keys;
    keys.count = 0;
    if (subject.email !== undefined) {
      keys.add(emailKey(subject.email), false);
    }
    if (subject.phone !== undefined) {
      keys.add(phoneKey(subject.phone), false);
    }
    // A detail key's block is small unless a detail is very common (a big postcode and a common
    // surname): then it is skipped like the broad ones.
    for (const key of detailKeys(subject, lastSoundex, known.soundex)) {
      keys.add(key, true);
    }
    if (subject.lastCompact !== '' && subject.first !== '') {
      for (const key of swappedNameKeys(subject)) {
        keys.add(key, false);
      }
      const prefixes = known.spellingPrefixes;
      for (let at = 0; at < prefixes.length; at += 1) {
        keys.add(fullNameKeyFrom(prefixes[at] ?? 0, subject.lastCompact), false);
      }
      for (const key of lastNameKeys(subject, known.initial)) {
        keys.add(key, true);
      }
      keys.add(phoneticKey(subject.lastCompact, subject.first, known.initial, lastSoundex), true);
      for (const key of deletionKeys(subject.lastCompact, subject.first, known.initial)) {
        keys.add(key, true);
      }
      const birthDate = subject.corroborating.birth_date;
      if (birthDate !== undefined) {
        keys.add(birthDateKey(subject.lastCompact, birthDate), false);
      }
    }
    if (this.blockStarts.length < keys.count) {
      this.blockStarts = new Int32Array(keys.hashes.length);
      this.blockEnds = new Int32Array(keys.hashes.length);
    }
    return keys;
  }

  // A cheap stand-in for the matcher's verdict, only to keep the best few of a large block. Runs for
  // every person in every block, so it reads only the typed arrays and calls nothing.
  private quickScore(variantHashes: Int32Array, offset: number): number {
    const mine = this.subjectPrint;
    const theirs = this.fingerprints;
    let score = 0;
    const email = mine[EMAIL_SLOT] ?? 0;
    if (email !== 0 && email === theirs[offset + EMAIL_SLOT]) {
      score += QUICK_WEIGHTS.identifier;
    }
    const phone = mine[PHONE_SLOT] ?? 0;
    if (phone !== 0 && phone === theirs[offset + PHONE_SLOT]) {
      score += QUICK_WEIGHTS.identifier;
    }
    const theirFirst = theirs[offset + FIRST_SLOT] ?? 0;
    const theirFirstToken = theirs[offset + FIRST_TOKEN_SLOT] ?? 0;
    if (theirFirst !== 0 && theirFirst === mine[FIRST_SLOT]) {
      score += QUICK_WEIGHTS.sameFirst;
    } else if (variantHashes.includes(theirFirst) || variantHashes.includes(theirFirstToken)) {
      score += QUICK_WEIGHTS.nicknameFirst;
    } else if (mine[INITIAL_SLOT] === theirs[offset + INITIAL_SLOT]) {
      score += QUICK_WEIGHTS.sameInitial;
    }
    if (mine[LAST_SLOT] === theirs[offset + LAST_SLOT]) {
      score += QUICK_WEIGHTS.sameLast;
    } else if (mine[SOUNDEX_SLOT] === theirs[offset + SOUNDEX_SLOT]) {
      score += QUICK_WEIGHTS.soundsLikeLast;
    }
    for (let slot = FIRST_CORROBORATING_SLOT; slot < STRIDE_LENGTH; slot += 1) {
      const value = mine[slot] ?? 0;
      if (value !== 0 && value === theirs[offset + slot]) {
        score += slot === BIRTH_DATE_SLOT ? QUICK_WEIGHTS.birthDate : QUICK_WEIGHTS.corroborating;
      }
    }
    return score;
  }

  // Insertion into a short sorted list: most people in a block never beat the current worst.
  // Equal scores keep their look-up order (identifier blocks first, then names, then file order).
  private keepIfTop(index: number, score: number): void {
    const limit = this.options.maxCandidates;
    const scores = this.topScores;
    const indexes = this.topIndexes;
    const count = scores.length;
    if (limit <= 0 || (count >= limit && score <= (scores[limit - 1] as number))) {
      return;
    }
    let position = count;
    while (position > 0 && (scores[position - 1] as number) < score) {
      position -= 1;
    }
    // Shifted by hand rather than spliced (splice allocates an array of what it removed, and a look-up inserts a
    // dozen or more people): the list grows by one, or, full, drops its last.
    for (let at = count < limit ? count : limit - 1; at > position; at -= 1) {
      scores[at] = scores[at - 1] as number;
      indexes[at] = indexes[at - 1] as number;
    }
    scores[position] = score;
    indexes[position] = index;
  }

  private nextGeneration(): number {
    if (this.seen.length < this.size) {
      this.seen = new Uint32Array(Math.max(this.size, this.seen.length * 2));
      this.generation = 0;
    }
    if (this.generation === 0xffffffff) {
      this.seen.fill(0);
      this.generation = 0;
    }
    this.generation += 1;
    return this.generation;
  }
}
