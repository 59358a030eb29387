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

// 30 bits: the block index packs a key hash and a person index into one double.
function keyHash(tag: string, first: string, second: string, skipInFirst = -1): number {
  return keyFrom(Math.imul(mix(mix(FNV_OFFSET, tag, -1), first, skipInFirst) ^ SEPARATOR, FNV_PRIME), second);
}

// A key's hash from the hash state after its tag and first part (see fullNameKeyPrefix): the same number as keyHash.
function keyFrom(prefix: number, second: string): number {
  return mix(prefix, second, -1) & 0x3fffffff;
}

export function emailKey(email: string): number {
  return keyHash('e', email, '');
}

export function phoneKey(digits: string): number {
  return keyHash('p', digits, '');
}

// Exact folded first name + last name; looked up with the contact's first name and each of its
// nickname variants (Bob Smith -> robert|smith, bert|smith, ...).
export function fullNameKey(first: string, lastCompact: string): number {
  return keyHash('n', first, lastCompact);
}

// fullNameKey in two steps, for a look-up: the hash state of the first name (the same for every contact of that name,
// so kept per name), then fullNameKeyFrom(prefix, lastCompact) === fullNameKey(first, lastCompact).
export function fullNameKeyPrefix(first: string): number {
  return Math.imul(mix(mix(FNV_OFFSET, 'n', -1), first, -1) ^ SEPARATOR, FNV_PRIME);
}

export function fullNameKeyFrom(prefix: number, lastCompact: string): number {
  return keyFrom(prefix, lastCompact);
}

// Folded last name + first initial class: finds first-name typos (Jon/John, Micheal/Michael).
// `initial`, initialClass(first), may be passed by a caller that has it already.
export function lastNameKey(last: string, first: string, initial = initialClass(first)): number {
  return keyHash('l', last, initial);
}

// Soundex of the last name + its last letter + first initial class: finds last-name typos
// (Smith/Smyth/Smtih, White/Whyte). Soundex alone lumps too many surnames together (Smith, Schmidt,
// Smit...); the last letter splits the block, and a typo in the last letter is left to the
// one-letter-off keys below.
// `initial` and `lastSoundex` (soundex(lastCompact)) may be passed by a caller that has them already.
export function phoneticKey(lastCompact: string, first: string, initial = initialClass(first), lastSoundex = soundex(lastCompact)): number {
  return keyHash('s', lastSoundex + lastCompact.charAt(lastCompact.length - 1), initial);
}

// The last name with one letter left out, each way, + first initial class. Two names one typo apart
// (a letter missing, extra, swapped or replaced: Harord/Harford, Otsic/Ostic, Liney/Linley) share
// at least one of these, even when the typo changes the Soundex code. Short names would share
// them with too many others.
const MIN_DELETION_LENGTH = 4;

export function deletionKeys(lastCompact: string, first: string, initial = initialClass(first)): number[] {
  if (lastCompact.length < MIN_DELETION_LENGTH) {
    return [];
  }
  const keys = [keyHash('d', lastCompact, initial)];
  for (let index = 0; index < lastCompact.length; index += 1) {
    // A doubled letter gives the same name twice (Harfford without either f).
    if (lastCompact.charAt(index) !== lastCompact.charAt(index - 1)) {
      keys.push(keyHash('d', lastCompact, initial, index));
    }
  }
  return keys;
}

// Last name + birth date, without the first initial: finds a typo in the first letter of the first
// name (Pat/Mat, Daniel/Odaniel), which every other name key files apart. A birth date makes the
// block tiny.
export function birthDateKey(lastCompact: string, birthDate: string): number {
  return keyHash('b', lastCompact, birthDate);
}

// The whole surname and, for compound ones, each part ("garcia lopez" is filed under garcialopez,
// garcia and lopez) so "Garcia" finds "Garcia-Lopez" and the other way round.
export function lastNameKeys(person: ComparableContact, initial = initialClass(person.first)): number[] {
  const keys = [lastNameKey(person.lastCompact, person.first, initial)];
  if (person.lastCompact !== person.last) {
    for (const word of lastNameWords(person)) {
      keys.push(lastNameKey(word, person.first, initial));
    }
  }
  return keys;
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
  const keys: number[] = [];
  const birthDate = person.corroborating.birth_date;
  const postcode = person.corroborating.postcode;
  if (birthDate !== undefined) {
    if (person.first !== '') keys.push(keyHash('fb', person.first, birthDate));
    if (postcode !== undefined) keys.push(keyHash('bp', birthDate, postcode));
    if (person.lastCompact !== '') keys.push(keyHash('sb', lastSoundex, birthDate));
  }
  if (postcode !== undefined) {
    if (person.lastCompact !== '') keys.push(keyHash('lp', person.lastCompact, postcode));
    if (person.first !== '') keys.push(keyHash('fp', person.first, postcode));
  }
  if (person.streetNumber !== undefined && person.streetName !== undefined) {
    keys.push(keyHash('ad', person.streetNumber, person.streetName));
  }
  if (person.first !== '' && person.lastCompact !== '') {
    // Both names misspelt, each still sounding the same (Catherine Thomson / Kathryn Thompson).
    keys.push(keyHash('ss', firstSoundex ?? soundex(person.first), lastSoundex));
  }
  return keys;
}

// The full-name keys of a contact whose first and last name were entered the other way round: its last name
// is the person's first name (whole, and its first word: "lila holly" is filed under both) and its first name
// the person's surname.
export function swappedNameKeys(person: ComparableContact): number[] {
  if (person.first === '' || person.lastCompact === '') return [];
  const surname = person.firstCompact;
  const keys = [fullNameKey(person.last, surname)];
  const space = person.last.indexOf(' ');
  if (space > 0) keys.push(fullNameKey(person.last.slice(0, space), surname));
  return keys;
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
