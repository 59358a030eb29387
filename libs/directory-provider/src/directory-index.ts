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
  addDeletionKeys,
  addDetailKeys,
  addLastNameKeys,
  addSwappedNameKeys,
  birthDateKey,
  detailKeys,
  emailKey,
  fullNameKeyFrom,
  fullNameKeyPrefix,
  type KeySink,
  nameKeys,
  phoneKey,
  phoneticKey,
} from './block-keys';
import { CORROBORATING, hashText, SLOT, STRIDE, writeFingerprint, writeFingerprintWith } from './fingerprint';
import { initialClass } from './initial-class';

export interface DirectoryIndexOptions {
  nicknames: NicknameLookup;
  // Longest candidate list handed to the matcher.
  maxCandidates: number;
  // Broad blocks (last name, Soundex, one letter off) bigger than this are skipped: in a directory of
  // millions one common surname would cost more than it is worth, while the identifier, full-name
  // and nickname keys still find the likely candidates.
  maxBucketScan: number;
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
  // The fingerprint's hashes of the name, its first word and its initial class.
  firstHash: number;
  firstTokenHash: number;
  initialHash: number;
}

// A contact's block keys, reused from one look-up to the next.
class LookupKeys implements KeySink {
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
const LAST_STRIDE_SLOT = STRIDE - 1;
const BIRTH_DATE_SLOT = SLOT.corroborating + CORROBORATING.indexOf('birth_date');
const NO_VARIANTS: ReadonlySet<string> = new Set();
const REMEMBERED_FIRST_NAMES = 50_000;
// A property's values are shared (DirectoryIndex.texts) until, after this many, fewer than 1 in UNSHARED_RATIO was found.
const TEXT_SAMPLE = 4096;
const UNSHARED_RATIO = 100;

interface PropertyHits {
  looked: number;
  found: number;
}

// People in memory, filed under block keys, answering "who could this contact be?".
export class DirectoryIndex {
  private readonly people: Candidate[] = [];
  // Keys are kept as hashes: two keys sharing a hash only merge two blocks, and the matcher
  // compares the real values anyway.
  private readonly blocks = new BlockIndex();
  private readonly ids = new Set<string>();
  // Each distinct text value of the people loaded so far, once: while loading, every person's values (standardized
  // and comparable) are swapped for the equal string already held. Directories repeat a few values endlessly ("CA",
  // "new york|ny", common names), and a string per person and field was about two thirds of the index's string memory
  // (51 of 75 MB at 100,000 people). Emptied by seal(): look-ups never need it.
  private texts = new Map<string, string>();
  // How often each property's values were found in `texts`. A property whose values hardly ever repeat (phone numbers,
  // street addresses: nearly one per person) is no longer looked up once that shows: its look-ups saved no memory, and
  // its values made `texts` larger and slower to search for everyone else's (issue 16: at 100,000 people, 569,438
  // distinct values instead of 201,372, and sharing was 1.9 s of a 5.8 s profile of the load). Emptied by seal().
  private textHits = new Map<string, PropertyHits>();
  private fingerprints = new Int32Array(STRIDE * 1024);
  private seen = new Uint32Array(0);
  private generation = 0;
  // Reused between look-ups: the ranking allocates nothing per person.
  private readonly subjectPrint = new Int32Array(STRIDE);
  // The best people so far, best first: topIndexes[0 .. topCount), their scores beside them.
  private readonly topIndexes: Int32Array;
  private readonly topScores: Float64Array;
  private topCount = 0;
  private readonly keys = new LookupKeys();
  // The people a look-up ranks, each once, in the order its blocks name them.
  private uniquePeople: Int32Array = new Int32Array(256);
  // The blocks a look-up ranks, as ranges of the block index's members: blockStarts[i] .. blockEnds[i].
  private blockStarts = new Int32Array(64);
  private blockEnds = new Int32Array(64);
  private readonly nicknamesByFirstName = new Map<string, KnownFirstName>();
  // What the fetching passes of a look-up read, kept so that the compiler cannot drop the reads.
  private touched = 0;

  constructor(private readonly options: DirectoryIndexOptions) {
    this.topIndexes = new Int32Array(Math.max(options.maxCandidates, 0));
    this.topScores = new Float64Array(this.topIndexes.length);
  }

  get size(): number {
    return this.people.length;
  }

  add(candidate: Candidate): void {
    if (this.ids.has(candidate.id)) {
      throw new Error(`duplicate directory id "${candidate.id}"`);
    }
    this.ids.add(candidate.id);
    const index = this.people.length;
    const prepared = prepareCandidate({ ...candidate, fields: this.shareTexts({ ...candidate.fields }) });
    const person = comparableCandidate(prepared);
    // The comparable form is built by the matching library and held by the person for good: its strings are replaced
    // by equal ones in place (the same properties, so the same object shape), the nested corroborating values too.
    this.shareTexts(person);
    this.shareTexts(person.corroborating);
    this.people.push(prepared);
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

  // Builds the look-up tables now rather than on the first look-up, and lets go of what only loading needed.
  seal(): void {
    this.blocks.seal();
    this.texts = new Map();
    this.textHits = new Map();
    // Grown by doubling while loading: up to half of it unused.
    const used = this.people.length * STRIDE_LENGTH;
    if (this.fingerprints.length > used) this.fingerprints = this.fingerprints.slice(0, Math.max(used, STRIDE_LENGTH));
  }

  // Swaps each string value of `values` for the equal one already held (see `texts`); returns `values`. A property whose
  // values have not repeated (see `textHits`) is left alone.
  private shareTexts<T extends object>(values: T): T {
    const record = values as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const value = record[key];
      if (typeof value !== 'string') continue;
      let hits = this.textHits.get(key);
      if (hits === undefined) {
        hits = { looked: 0, found: 0 };
        this.textHits.set(key, hits);
      }
      if (hits.looked >= TEXT_SAMPLE && hits.found * UNSHARED_RATIO < hits.looked) continue;
      hits.looked += 1;
      const held = this.texts.get(value);
      if (held === undefined) {
        this.texts.set(value, value);
      } else {
        hits.found += 1;
        record[key] = held;
      }
    }
    return values;
  }

  candidatesFor(contact: ContactFields): Candidate[] {
    const subject = comparableContact(contact);
    const known = this.nicknamesOf(subject);
    const variantHashes = known.hashes;
    // Once per look-up, not once per key that uses it (the fingerprint, the phonetic and two detail keys).
    const lastSoundex = subject.lastCompact === '' ? '' : soundex(subject.lastCompact);
    writeFingerprintWith(subject, this.subjectPrint, 0, known.firstHash, known.firstTokenHash, known.initialHash, lastSoundex);
    const generation = this.nextGeneration();
    this.topCount = 0;
    const keys = this.lookupKeys(subject, known, lastSoundex);
    const members = this.blocks.membersArray();
    const slots = this.blocks.slotsArray();
    // The look-up waits on memory, not on arithmetic: the block table and the fingerprints of a large directory are
    // far bigger than the processor's caches, and each key's slot and each person's fingerprint is a miss. So each
    // kind is fetched in a short loop of independent reads of its own — first every key's slot, then every person of
    // every block — which lets the processor wait for many at once; the ranking then finds them at hand. People are
    // ranked in the order the blocks name them first (keys in look-up order, each block in file order).
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
    // One pass over every block's members notes each person the first time it is met and reads their fingerprint (a
    // row's blocks overlap: in the 100,000-row bench book about 85 members name about 15 people); the ranking then
    // goes over those people alone, instead of a second pass over every member checking again whether it was seen.
    const fingerprints = this.fingerprints;
    // Each block's members start at a place of their own in the members array (a miss each, some 15 a row); read
    // their first ones in a loop of independent reads, since the pass below, branching on each person's seen stamp,
    // keeps fewer reads in flight.
    let firstMembers = 0;
    for (let range = 0; range < ranges; range += 1) {
      firstMembers += members[this.blockStarts[range] ?? 0] ?? 0;
    }
    this.touched += firstMembers;
    const seen = this.seen;
    let unique: Int32Array = this.uniquePeople;
    let uniqueCount = 0;
    let touched = 0;
    for (let range = 0; range < ranges; range += 1) {
      const start = this.blockStarts[range] ?? 0;
      const end = this.blockEnds[range] ?? 0;
      if (uniqueCount + end - start > unique.length) unique = this.growUniquePeople(uniqueCount + end - start);
      for (let position = start; position < end; position += 1) {
        const index = members[position] ?? 0;
        if (seen[index] !== generation) {
          seen[index] = generation;
          unique[uniqueCount] = index;
          uniqueCount += 1;
          // A fingerprint (52 bytes) mostly spans two cache lines: its first and last numbers fetch both.
          touched += (fingerprints[index * STRIDE_LENGTH + FIRST_SLOT] ?? 0) + (fingerprints[index * STRIDE_LENGTH + LAST_STRIDE_SLOT] ?? 0);
        }
      }
    }
    this.touched += touched;
    for (let at = 0; at < uniqueCount; at += 1) {
      const index = unique[at] ?? 0;
      this.keepIfTop(index, this.quickScore(variantHashes, index * STRIDE_LENGTH));
    }
    const found: Candidate[] = [];
    for (let at = 0; at < this.topCount; at += 1) {
      const person = this.people[this.topIndexes[at] ?? 0];
      if (person !== undefined) {
        found.push(person);
      }
    }
    return found;
  }

  private growUniquePeople(needed: number): Int32Array {
    const grown = new Int32Array(Math.max(needed, this.uniquePeople.length * 2));
    grown.set(this.uniquePeople);
    this.uniquePeople = grown;
    return grown;
  }

  // A first name's variants and their hashes depend on the name alone; books repeat the same few thousand names.
  private nicknamesOf(subject: ComparableContact): KnownFirstName {
    let known = this.nicknamesByFirstName.get(subject.first);
    if (known === undefined) {
      const variants = this.variantsOf(subject);
      const spellings = [...new Set([subject.first, subject.firstToken, ...variants])];
      const initial = initialClass(subject.first);
      known = {
        hashes: Int32Array.from(variants, hashText),
        spellingPrefixes: Int32Array.from(spellings, fullNameKeyPrefix),
        initial,
        soundex: soundex(subject.first),
        firstHash: hashText(subject.first),
        firstTokenHash: hashText(subject.firstToken),
        initialHash: hashText(initial),
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
    addDetailKeys(keys, subject, lastSoundex, known.soundex, true);
    if (subject.lastCompact !== '' && subject.first !== '') {
      addSwappedNameKeys(keys, subject, false);
      const prefixes = known.spellingPrefixes;
      for (let at = 0; at < prefixes.length; at += 1) {
        keys.add(fullNameKeyFrom(prefixes[at] ?? 0, subject.lastCompact), false);
      }
      addLastNameKeys(keys, subject, known.initial, true);
      keys.add(phoneticKey(subject.lastCompact, subject.first, known.initial, lastSoundex), true);
      addDeletionKeys(keys, subject.lastCompact, known.initial, true);
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
    const limit = this.topIndexes.length;
    const scores = this.topScores;
    const indexes = this.topIndexes;
    const count = this.topCount;
    if (limit === 0 || (count === limit && score <= (scores[limit - 1] ?? 0))) {
      return;
    }
    let position = count;
    while (position > 0 && (scores[position - 1] ?? 0) < score) {
      position -= 1;
    }
    // The list grows by one, or, full, drops its last.
    for (let at = count < limit ? count : limit - 1; at > position; at -= 1) {
      scores[at] = scores[at - 1] ?? 0;
      indexes[at] = indexes[at - 1] ?? 0;
    }
    scores[position] = score;
    indexes[position] = index;
    if (count < limit) this.topCount = count + 1;
  }

  private nextGeneration(): number {
    if (this.seen.length < this.people.length) {
      this.seen = new Uint32Array(Math.max(this.people.length, this.seen.length * 2));
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
