import type { ComparableContact, CorroboratingField } from '@refinery/matching';
import { CORROBORATING_FIELDS, soundex } from '@refinery/matching';
import { initialClass } from './initial-class';

// Every comparable value of a person as a 32-bit hash, side by side in one typed array: ranking a
// block of thousands of people then reads contiguous memory instead of chasing objects and strings.
// Collisions only blur the cheap ranking; the matcher compares the real values afterwards.
export const SLOT = {
  email: 0,
  phone: 1,
  first: 2,
  firstToken: 3,
  last: 4,
  soundex: 5,
  initial: 6,
  corroborating: 7,
} as const;
export const CORROBORATING = CORROBORATING_FIELDS;
export const STRIDE = SLOT.corroborating + CORROBORATING.length;

const ABSENT = 0;

// FNV-1a; 0 is kept for "no value".
export function hashText(text: string | undefined): number {
  if (text === undefined || text === '') {
    return ABSENT;
  }
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash === ABSENT ? 1 : hash;
}

// `lastSoundex` (soundex(person.lastCompact)) and `initial` (initialClass(person.first)) may be passed by a caller that
// has them already.
export function writeFingerprint(
  person: ComparableContact,
  target: Int32Array,
  offset: number,
  lastSoundex = soundex(person.lastCompact),
  initial = initialClass(person.first),
): void {
  writeFingerprintWith(person, target, offset, hashText(person.first), hashText(person.firstToken), hashText(initial), lastSoundex);
}

// writeFingerprint with the hashes that depend on the first name alone (the name's, its first word's and its initial
// class's) given: a look-up keeps them with the first name.
export function writeFingerprintWith(
  person: ComparableContact,
  target: Int32Array,
  offset: number,
  firstHash: number,
  firstTokenHash: number,
  initialHash: number,
  lastSoundex: string,
): void {
  target[offset + SLOT.email] = hashText(person.email);
  target[offset + SLOT.phone] = hashText(person.phone);
  target[offset + SLOT.first] = firstHash;
  target[offset + SLOT.firstToken] = firstTokenHash;
  target[offset + SLOT.last] = hashText(person.lastCompact);
  target[offset + SLOT.soundex] = hashText(lastSoundex);
  target[offset + SLOT.initial] = initialHash;
  const corroborating = person.corroborating;
  for (let position = 0; position < CORROBORATING.length; position += 1) {
    target[offset + SLOT.corroborating + position] = hashText(corroborating[CORROBORATING[position] as CorroboratingField]);
  }
}
