import { type ComparableContact, lastNameWords, soundex } from '@refinery/matching';
import { initialClass } from './initial-class';

// Block keys: a person is filed under each, a contact is looked up under each of its own. A key is
// a tag and two parts, hashed straight to 30 bits (FNV-1a) without building the key string: a
// directory of 100,000 people has over a million keys.
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const SEPARATOR = 0x7c;

function mix(hash: number, text: string, skip: number): number {
  let mixed = hash;
  for (let index = 0; index < text.length; index += 1) {
    if (index !== skip) {
      mixed = Math.imul(mixed ^ text.charCodeAt(index), FNV_PRIME);
    }
  }
  return mixed;
}

// The hash state after each tag, computed once rather than for every key.
const EMAIL_TAG = mix(FNV_OFFSET, 'e', -1);
const PHONE_TAG = mix(FNV_OFFSET, 'p', -1);
const FULL_NAME_TAG = mix(FNV_OFFSET, 'n', -1);
const LAST_NAME_TAG = mix(FNV_OFFSET, 'l', -1);
const PHONETIC_TAG = mix(FNV_OFFSET, 's', -1);
const DELETION_TAG = mix(FNV_OFFSET, 'd', -1);
const BIRTH_DATE_TAG = mix(FNV_OFFSET, 'b', -1);
const FIRST_BIRTH_DATE_TAG = mix(FNV_OFFSET, 'fb', -1);
const BIRTH_DATE_POSTCODE_TAG = mix(FNV_OFFSET, 'bp', -1);
const SOUNDEX_BIRTH_DATE_TAG = mix(FNV_OFFSET, 'sb', -1);
const LAST_POSTCODE_TAG = mix(FNV_OFFSET, 'lp', -1);
const FIRST_POSTCODE_TAG = mix(FNV_OFFSET, 'fp', -1);
const ADDRESS_TAG = mix(FNV_OFFSET, 'ad', -1);
const SOUNDEX_SOUNDEX_TAG = mix(FNV_OFFSET, 'ss', -1);

// The hash state after a first part (the tag's state, then `first` but its character at `skipInFirst`, then the
// separator).
function afterFirst(tag: number, first: string, skipInFirst: number): number {
  return Math.imul(mix(tag, first, skipInFirst) ^ SEPARATOR, FNV_PRIME);
}

// 30 bits: the block index packs a key hash and a person index into one double.
function keyHash(tag: number, first: string, second: string, skipInFirst = -1): number {
  return keyFrom(afterFirst(tag, first, skipInFirst), second);
}

// A key's hash from the hash state after its tag and first part (see fullNameKeyPrefix): the same number as keyHash.
function keyFrom(prefix: number, second: string): number {
  return mix(prefix, second, -1) & 0x3fffffff;
}

// Where a function below adds its keys: a look-up writes them straight into its reused key list, with whether each is
// broad (skipped when its block is huge); the array-returning forms collect them.
export interface KeySink {
  add(hash: number, broad: boolean): void;
}

class KeyArray implements KeySink {
  readonly hashes: number[] = [];

  add(hash: number): void {
    this.hashes.push(hash);
  }
}

export function emailKey(email: string): number {
  return keyHash(EMAIL_TAG, email, '');
}

export function phoneKey(digits: string): number {
  return keyHash(PHONE_TAG, digits, '');
}

// Exact folded first name + last name; looked up with the contact's first name and each of its
// nickname variants (Bob Smith -> robert|smith, bert|smith, ...).
export function fullNameKey(first: string, lastCompact: string): number {
  return keyHash(FULL_NAME_TAG, first, lastCompact);
}

// fullNameKey in two steps, for a look-up: the hash state of the first name (the same for every contact of that name,
// so kept per name), then fullNameKeyFrom(prefix, lastCompact) === fullNameKey(first, lastCompact).
export function fullNameKeyPrefix(first: string): number {
  return afterFirst(FULL_NAME_TAG, first, -1);
}

export function fullNameKeyFrom(prefix: number, lastCompact: string): number {
  return keyFrom(prefix, lastCompact);
}

// Folded last name + first initial class: finds first-name typos (Jon/John, Micheal/Michael).
// `initial`, initialClass(first), may be passed by a caller that has it already.
export function lastNameKey(last: string, first: string, initial = initialClass(first)): number {
  return keyHash(LAST_NAME_TAG, last, initial);
}

// Soundex of the last name + its last letter + first initial class: finds last-name typos
// (Smith/Smyth/Smtih, White/Whyte). Soundex alone lumps too many surnames together (Smith, Schmidt,
// Smit...); the last letter splits the block, and a typo in the last letter is left to the
// one-letter-off keys below.
// `initial` and `lastSoundex` (soundex(lastCompact)) may be passed by a caller that has them already.
export function phoneticKey(lastCompact: string, first: string, initial = initialClass(first), lastSoundex = soundex(lastCompact)): number {
  return keyHash(PHONETIC_TAG, lastSoundex + lastCompact.charAt(lastCompact.length - 1), initial);
}

// The last name with one letter left out, each way, + first initial class. Two names one typo apart
// (a letter missing, extra, swapped or replaced: Harord/Harford, Otsic/Ostic, Liney/Linley) share
// at least one of these, even when the typo changes the Soundex code. Short names would share
// them with too many others.
const MIN_DELETION_LENGTH = 4;

export function deletionKeys(lastCompact: string, first: string, initial = initialClass(first)): number[] {
  const keys = new KeyArray();
  addDeletionKeys(keys, lastCompact, initial, true);
  return keys.hashes;
}

export function addDeletionKeys(keys: KeySink, lastCompact: string, initial: string, broad: boolean): void {
  const length = lastCompact.length;
  if (length < MIN_DELETION_LENGTH) {
    return;
  }
  keys.add(keyHash(DELETION_TAG, lastCompact, initial), broad);
  // The hash state after the letters before the one left out, carried from one key to the next: each key hashes only
  // the letters after it (the same numbers as keyHash with skipInFirst).
  let before = DELETION_TAG;
  let previous = -1;
  for (let index = 0; index < length; index += 1) {
    const code = lastCompact.charCodeAt(index);
    // A doubled letter gives the same name twice (Harfford without either f).
    if (code !== previous) {
      let mixed = before;
      for (let after = index + 1; after < length; after += 1) {
        mixed = Math.imul(mixed ^ lastCompact.charCodeAt(after), FNV_PRIME);
      }
      keys.add(keyFrom(Math.imul(mixed ^ SEPARATOR, FNV_PRIME), initial), broad);
    }
    before = Math.imul(before ^ code, FNV_PRIME);
    previous = code;
  }
}

// Last name + birth date, without the first initial: finds a typo in the first letter of the first
// name (Pat/Mat, Daniel/Odaniel), which every other name key files apart. A birth date makes the
// block tiny.
export function birthDateKey(lastCompact: string, birthDate: string): number {
  return keyHash(BIRTH_DATE_TAG, lastCompact, birthDate);
}

// The whole surname and, for compound ones, each part ("garcia lopez" is filed under garcialopez,
// garcia and lopez) so "Garcia" finds "Garcia-Lopez" and the other way round.
export function lastNameKeys(person: ComparableContact, initial = initialClass(person.first)): number[] {
  const keys = new KeyArray();
  addLastNameKeys(keys, person, initial, true);
  return keys.hashes;
}

export function addLastNameKeys(keys: KeySink, person: ComparableContact, initial: string, broad: boolean): void {
  keys.add(lastNameKey(person.lastCompact, person.first, initial), broad);
  if (person.lastCompact !== person.last) {
    for (const word of lastNameWords(person)) {
      keys.add(lastNameKey(word, person.first, initial), broad);
    }
  }
}

// Keys that need no name, or only one of the two: a register row missing a name, a surname changed by
// marriage, a name typed wrong in its first letter, first and last name swapped. Each pairs two details
// that few people share, so the blocks stay small.
// `lastSoundex` (soundex(person.lastCompact)) and `firstSoundex` (soundex(person.first)) may be passed by a caller that
// has them already.
export function detailKeys(
  person: ComparableContact,
  lastSoundex = person.lastCompact === '' ? '' : soundex(person.lastCompact),
  firstSoundex?: string,
): number[] {
  const keys = new KeyArray();
  addDetailKeys(keys, person, lastSoundex, firstSoundex ?? (person.first !== '' && person.lastCompact !== '' ? soundex(person.first) : ''), true);
  return keys.hashes;
}

// `firstSoundex` is used only when both names are there.
export function addDetailKeys(keys: KeySink, person: ComparableContact, lastSoundex: string, firstSoundex: string, broad: boolean): void {
  const birthDate = person.corroborating.birth_date;
  const postcode = person.corroborating.postcode;
  if (birthDate !== undefined) {
    if (person.first !== '') keys.add(keyHash(FIRST_BIRTH_DATE_TAG, person.first, birthDate), broad);
    if (postcode !== undefined) keys.add(keyHash(BIRTH_DATE_POSTCODE_TAG, birthDate, postcode), broad);
    if (person.lastCompact !== '') keys.add(keyHash(SOUNDEX_BIRTH_DATE_TAG, lastSoundex, birthDate), broad);
  }
  if (postcode !== undefined) {
    if (person.lastCompact !== '') keys.add(keyHash(LAST_POSTCODE_TAG, person.lastCompact, postcode), broad);
    if (person.first !== '') keys.add(keyHash(FIRST_POSTCODE_TAG, person.first, postcode), broad);
  }
  if (person.streetNumber !== undefined && person.streetName !== undefined) {
    keys.add(keyHash(ADDRESS_TAG, person.streetNumber, person.streetName), broad);
  }
  if (person.first !== '' && person.lastCompact !== '') {
    // Both names misspelt, each still sounding the same (Catherine Thomson / Kathryn Thompson).
    keys.add(keyHash(SOUNDEX_SOUNDEX_TAG, firstSoundex, lastSoundex), broad);
  }
}

// The full-name keys of a contact whose first and last name were entered the other way round: its last name
// is the person's first name (whole, and its first word: "lila holly" is filed under both) and its first name
// the person's surname.
export function swappedNameKeys(person: ComparableContact): number[] {
  const keys = new KeyArray();
  addSwappedNameKeys(keys, person, false);
  return keys.hashes;
}

export function addSwappedNameKeys(keys: KeySink, person: ComparableContact, broad: boolean): void {
  if (person.first === '' || person.lastCompact === '') return;
  const surname = person.firstCompact;
  keys.add(fullNameKey(person.last, surname), broad);
  const space = person.last.indexOf(' ');
  if (space > 0) keys.add(fullNameKey(person.last.slice(0, space), surname), broad);
}

export function nameKeys(person: ComparableContact): number[] {
  if (person.lastCompact === '' || person.first === '') {
    return [];
  }
  const keys = lastNameKeys(person);
  keys.push(fullNameKey(person.first, person.lastCompact), phoneticKey(person.lastCompact, person.first));
  keys.push(...deletionKeys(person.lastCompact, person.first));
  if (person.firstToken !== person.first) {
    keys.push(fullNameKey(person.firstToken, person.lastCompact));
  }
  const birthDate = person.corroborating.birth_date;
  if (birthDate !== undefined) {
    keys.push(birthDateKey(person.lastCompact, birthDate));
  }
  return keys;
}
