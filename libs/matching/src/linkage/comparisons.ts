import { type ComparableContact, lastNameWords } from '../comparable-contact';
import { sameFrom, withinOneEdit } from '../edit-distance';
import { jaroWinklerAtLeast } from '../jaro-winkler';
import { areCounterparts, areNicknames, isCompoundOf, isInitialOf } from '../name-relations';
import type { Candidate, NicknameLookup } from '../types';

// The comparison vector of the Fellegi-Sunter model: for each field, which level of agreement a pair
// of records reaches. Levels are ordered from the strongest agreement to "different"; a field missing on
// either side is NULL_LEVEL and says nothing either way.
export const NULL_LEVEL = -1;

export interface LevelPrior {
  readonly label: string;
  // Prior probabilities: m = P(level | same person), u = P(level | two different people). Each
  // comparison's m and u sum to 1 over its levels. EM re-estimates m per job; u comes from random pairs.
  readonly m: number;
  readonly u: number;
  // The most EM may learn for m: a disagreement on what never changes (a birth date, a first name) stays
  // rare among true matches, however many look-alikes a book holds; unbounded, EM would take them for
  // matches and learn that disagreement is normal.
  readonly maxM?: number;
  // The least u may learn: a book of a thousand rows rarely holds two people of one name, so it cannot see how
  // common a name is among the provider's millions; an exact name never weighs more than half its prior u allows.
  readonly minU?: number;
}

export type ComparisonName =
  | 'first_name'
  | 'last_name'
  | 'birth_date'
  | 'email'
  | 'phone'
  | 'street_number'
  | 'street_name'
  | 'city'
  | 'state'
  | 'postcode'
  | 'company'
  | 'title'
  | 'provider';

export interface ComparisonSpec {
  readonly name: ComparisonName;
  readonly levels: readonly LevelPrior[];
  // What a household shares (surname, address, a family e-mail, a landline): their agreement counts up
  // to the model's householdCap at most, because among different people they agree together, not
  // independently. A birth date is personal: only twins share one.
  readonly shared: boolean;
  // Details that go stale together: a move changes every part of an address, a new job the employer and
  // the title, a new provider the e-mail and the phone. Within a group the strongest disagreement counts
  // in full and the others at a reduced rate; the groups themselves count one by one.
  readonly changesWith?: 'address' | 'job' | 'contact details';
  // Places nest (a postcode lies in a city, a city in a state): agreeing on several says no more than the
  // most telling of them, so only the strongest agreement among them counts.
  readonly nestedPlace?: boolean;
  // The value whose frequency adjusts the weight of an exact agreement (common names weigh less).
  readonly frequencyOf?: (person: ComparableContact) => string | undefined;
}

function levels(...entries: ([string, number, number] | [string, number, number, number])[]): LevelPrior[] {
  return entries.map(([label, m, u, maxM]) => ({ label, m, u, ...(maxM === undefined ? {} : { maxM }) }));
}

// An exact name's level, with the floor of its u (see minU).
function exactName(m: number, u: number): LevelPrior {
  return { label: 'exact', m, u, minU: u / 2 };
}

// Priors: what a contact book with stale fields and typing errors typically shows (m) and what two
// random people share (u). They decide alone when a job has too few pairs to learn from.
export const COMPARISONS: readonly ComparisonSpec[] = [
  {
    name: 'first_name',
    shared: false,
    frequencyOf: (person) => person.first || undefined,
    levels: [
      exactName(0.82, 0.006),
      ...levels(
        ['nickname', 0.05, 0.002],
        ['similar', 0.05, 0.004],
        ['one typing slip', 0.04, 0.01],
        ['sounds alike', 0.01, 0.005],
        ['initial', 0.02, 0.05],
        ['counterpart (like Paul and Paula)', 0.0005, 0.01, 0.002],
        ['different', 0.0195, 0.918, 0.02],
      ),
    ],
  },
  {
    name: 'last_name',
    shared: true,
    frequencyOf: (person) => person.lastCompact || undefined,
    levels: [
      exactName(0.86, 0.003),
      ...levels(
        ['compound (one part of the other)', 0.03, 0.0005],
        ['similar', 0.04, 0.003],
        ['one typing slip', 0.03, 0.01],
        ['sounds alike', 0.01, 0.005],
        ['different', 0.03, 0.9785],
      ),
    ],
  },
  {
    name: 'birth_date',
    shared: false,
    levels: levels(
      ['exact', 0.9, 0.00005],
      ['one digit off', 0.04, 0.001],
      ['day and month swapped', 0.01, 0.00005],
      ['two digits swapped', 0.01, 0.0004],
      ['year only', 0.02, 0.016],
      ['different', 0.005, 0.9825, 0.01],
    ),
  },
  // No "same mailbox name" level: a mailbox is mostly made of the person's name, so it agrees whenever
  // the names do and would count the name twice.
  { name: 'email', shared: true, changesWith: 'contact details', levels: levels(['exact', 0.7, 0.000001], ['different', 0.3, 0.999999]) },
  {
    name: 'phone',
    shared: true,
    changesWith: 'contact details',
    levels: levels(['exact', 0.7, 0.000001], ['same last 7 digits', 0.02, 0.00002], ['different', 0.28, 0.999979]),
  },
  { name: 'street_number', shared: true, changesWith: 'address', levels: levels(['exact', 0.85, 0.02], ['different', 0.15, 0.98]) },
  {
    name: 'street_name',
    shared: true,
    changesWith: 'address',
    frequencyOf: (person) => person.streetName,
    levels: levels(['exact', 0.8, 0.002], ['similar', 0.08, 0.004], ['different', 0.12, 0.994]),
  },
  {
    name: 'city',
    shared: true,
    nestedPlace: true,
    changesWith: 'address',
    frequencyOf: (person) => person.city,
    levels: levels(['exact', 0.82, 0.01], ['similar', 0.06, 0.005], ['different', 0.12, 0.985]),
  },
  { name: 'state', shared: true, nestedPlace: true, changesWith: 'address', levels: levels(['exact', 0.92, 0.1], ['different', 0.08, 0.9]) },
  {
    name: 'postcode',
    shared: true,
    nestedPlace: true,
    changesWith: 'address',
    frequencyOf: (person) => person.corroborating.postcode,
    levels: levels(['exact', 0.82, 0.002], ['one character off', 0.06, 0.02], ['different', 0.12, 0.978]),
  },
  {
    name: 'company',
    shared: false,
    changesWith: 'job',
    frequencyOf: (person) => person.corroborating.company,
    levels: levels(['exact', 0.6, 0.002], ['similar', 0.05, 0.002], ['different', 0.35, 0.996]),
  },
  {
    name: 'title',
    shared: false,
    changesWith: 'job',
    frequencyOf: (person) => person.corroborating.title,
    levels: levels(['exact', 0.5, 0.01], ['different', 0.5, 0.99]),
  },
  {
    // The provider's own belief (People Data Labs' likelihood); absent for a directory.
    name: 'provider',
    shared: false,
    levels: levels(
      ['confident (0.9 and up)', 0.6, 0.01],
      ['likely (0.6 to 0.9)', 0.25, 0.05],
      ['possible (0.3 to 0.6)', 0.1, 0.2],
      ['doubtful', 0.05, 0.74],
    ),
  },
];

export const COMPARISON_COUNT = COMPARISONS.length;
export const FIRST_NAME = 0;
// From this level on (counterpart, different) the first names are two names.
export const FIRST_NAME_COUNTERPART = 6;
// From this level on (one typing slip and worse) a first name no longer tells household members apart.
export const FIRST_NAME_SLIP = 3;
export const LAST_NAME = 1;
const LAST_NAME_DIFFERENT = 5;
const BIRTH_DATE = 2;
const EMAIL = 3;
const PHONE = 4;
const STREET_NUMBER = 5;
const STREET_NAME = 6;
const CITY = 7;
const STATE = 8;
const POSTCODE = 9;
const COMPANY = 10;
const TITLE = 11;
const PROVIDER = 12;

// First names: exact (or one side adds a middle name), nickname, similar (Jaro-Winkler >= 0.92),
// one typing slip (>= 0.85 or one edit), sounds alike (Terry / Teri), initial, counterpart, different.
export function firstNameLevel(x: ComparableContact, y: ComparableContact, nicknames: NicknameLookup): number {
  const a = x.first;
  const aToken = x.firstToken;
  const b = y.first;
  const bToken = y.firstToken;
  if (a === '' || b === '') return NULL_LEVEL;
  const oneSideHasMiddleName = x.firstHasMoreNames !== y.firstHasMoreNames;
  if (a === b || (oneSideHasMiddleName && aToken === bToken)) return 0;
  if (areNicknames(a, b, nicknames) || (oneSideHasMiddleName && areNicknames(aToken, bToken, nicknames))) return 1;
  if (areCounterparts(aToken, bToken)) return 6;
  if (isInitialOf(a, b) || isInitialOf(b, a)) return 5;
  // Only the bands from 0.85 up matter below.
  const similarity = oneSideHasMiddleName
    ? Math.max(jaroWinklerAtLeast(a, b, 0.85), jaroWinklerAtLeast(aToken, bToken, 0.85))
    : jaroWinklerAtLeast(a, b, 0.85);
  if (similarity >= 0.92) return 2;
  if (similarity >= 0.85 || (Math.min(a.length, b.length) >= 3 && withinOneEdit(a, b))) return 3;
  if (Math.min(aToken.length, bToken.length) >= 3 && x.firstTokenSound === y.firstTokenSound) return 4;
  return 7;
}

// Last names: exact, compound ("Garcia" of "Garcia Lopez"), similar, one typing slip, sounds alike, different.
export function lastNameLevel(a: ComparableContact, b: ComparableContact): number {
  if (a.lastCompact === '' || b.lastCompact === '') return NULL_LEVEL;
  if (a.lastCompact === b.lastCompact) return 0;
  const compound = a.lastCompact !== a.last || b.lastCompact !== b.last;
  if (compound) {
    const aWords = lastNameWords(a);
    const bWords = lastNameWords(b);
    if (isCompoundOf(aWords, bWords) || isCompoundOf(bWords, aWords)) return 1;
  }
  const level = textLevel(a.lastCompact, b.lastCompact, 2);
  if (level === 4 && Math.min(a.lastCompact.length, b.lastCompact.length) >= 3 && a.lastSound === b.lastSound) return 4;
  return level === 4 ? 5 : level;
}

// Similar (Jaro-Winkler >= 0.92) is `similarLevel`, one typing slip or >= 0.85 the next, else the one after.
function textLevel(a: string, b: string, similarLevel: number): number {
  const similarity = jaroWinklerAtLeast(a, b, 0.85);
  if (similarity >= 0.92) return similarLevel;
  if (similarity >= 0.85 || (Math.min(a.length, b.length) >= 3 && withinOneEdit(a, b))) return similarLevel + 1;
  return similarLevel + 2;
}

// Two strings of one length that differ in exactly one position (1984-03-12 / 1984-08-12).
function differInOnePlace(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let differences = 0;
  for (let index = 0; index < a.length; index += 1) {
    if (a.charCodeAt(index) !== b.charCodeAt(index)) {
      differences += 1;
      if (differences > 1) return false;
    }
  }
  return differences === 1;
}

const DASH = 45;

// The index of the first character at or after `from` that is not a dash (the length when none is left).
function skipDashes(text: string, from: number): number {
  let index = from;
  while (index < text.length && text.charCodeAt(index) === DASH) index += 1;
  return index;
}

// Adjacent digits swapped (1984-03-12 / 1948-03-12), ignoring the dashes. In place: the matcher asks this of most
// candidates whose birth date differs.
function adjacentDigitsSwapped(a: string, b: string): boolean {
  let i = skipDashes(a, 0);
  let j = skipDashes(b, 0);
  while (i < a.length && j < b.length && a.charCodeAt(i) === b.charCodeAt(j)) {
    i = skipDashes(a, i + 1);
    j = skipDashes(b, j + 1);
  }
  if (i >= a.length || j >= b.length) return false;
  const aNext = skipDashes(a, i + 1);
  const bNext = skipDashes(b, j + 1);
  if (aNext >= a.length || bNext >= b.length) return false;
  if (a.charCodeAt(i) !== b.charCodeAt(bNext) || a.charCodeAt(aNext) !== b.charCodeAt(j)) return false;
  // The rest, dashes ignored, is the same.
  i = skipDashes(a, aNext + 1);
  j = skipDashes(b, bNext + 1);
  while (i < a.length && j < b.length && a.charCodeAt(i) === b.charCodeAt(j)) {
    i = skipDashes(a, i + 1);
    j = skipDashes(b, j + 1);
  }
  return i >= a.length && j >= b.length;
}

// a.slice(aStart, aStart + length) === b.slice(bStart, bStart + length), without the slices.
function sameSlice(a: string, aStart: number, b: string, bStart: number, length: number): boolean {
  const aLength = Math.max(0, Math.min(a.length, aStart + length) - aStart);
  const bLength = Math.max(0, Math.min(b.length, bStart + length) - bStart);
  if (aLength !== bLength) return false;
  for (let offset = 0; offset < aLength; offset += 1) {
    if (a.charCodeAt(aStart + offset) !== b.charCodeAt(bStart + offset)) return false;
  }
  return true;
}

// Dates are ISO (YYYY-MM-DD) once comparable.
export function birthDateLevel(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return NULL_LEVEL;
  if (a === b) return 0;
  if (differInOnePlace(a, b)) return 1;
  const sameYear = sameSlice(a, 0, b, 0, 4);
  if (sameYear && sameSlice(a, 5, b, 8, 2) && sameSlice(a, 8, b, 5, 2)) return 2;
  if (adjacentDigitsSwapped(a, b)) return 3;
  return sameYear ? 4 : 5;
}

export function exactLevel(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return NULL_LEVEL;
  return a === b ? 0 : 1;
}

export function similarTextLevel(a: string | undefined, b: string | undefined, threshold: number): number {
  if (a === undefined || b === undefined) return NULL_LEVEL;
  if (a === b) return 0;
  return jaroWinklerAtLeast(a, b, threshold) >= threshold || (Math.min(a.length, b.length) >= 4 && withinOneEdit(a, b)) ? 1 : 2;
}

export function phoneLevel(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return NULL_LEVEL;
  if (a === b) return 0;
  return a.length >= 7 && b.length >= 7 && sameFrom(a, a.length - 7, b, b.length - 7) ? 1 : 2;
}

export function postcodeLevel(a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return NULL_LEVEL;
  if (a === b) return 0;
  return differInOnePlace(a, b) || adjacentDigitsSwapped(a, b) ? 1 : 2;
}

function providerLevel(confidence: number | undefined): number {
  if (confidence === undefined || !Number.isFinite(confidence) || confidence <= 0) return NULL_LEVEL;
  if (confidence >= 0.9) return 0;
  if (confidence >= 0.6) return 1;
  return confidence >= 0.3 ? 2 : 3;
}

export interface ComparisonVector {
  readonly levels: Int8Array;
  // The book has first and last name the other way round from the candidate.
  readonly namesSwapped: boolean;
}

// exact (0) or similar (2) when one name is the other one typed in the other field, else undefined.
function crossedLevel(compact: string, b: string): number | undefined {
  if (compact === b) return 0;
  return jaroWinklerAtLeast(compact, b, 0.92) >= 0.92 ? 2 : undefined;
}

// The first and last names' levels, written into levels[FIRST_NAME] and levels[LAST_NAME]; returns whether the names
// are swapped (written in place: the matcher compares every candidate, and an array per pair is garbage by the next).
function writeNameLevels(a: ComparableContact, b: ComparableContact, nicknames: NicknameLookup, levels: Int8Array): boolean {
  const first = firstNameLevel(a, b, nicknames);
  const last = lastNameLevel(a, b);
  // Only a pair whose names disagree straight is tried crossed: Smith John / John Smith.
  if (
    (first >= FIRST_NAME_COUNTERPART || last === LAST_NAME_DIFFERENT) &&
    a.first !== '' &&
    a.lastCompact !== '' &&
    b.first !== '' &&
    b.lastCompact !== ''
  ) {
    const crossedFirst = crossedLevel(a.firstCompact, b.lastCompact);
    const crossedLast = crossedFirst === undefined ? undefined : crossedLevel(a.lastCompact, b.firstCompact);
    if (crossedFirst !== undefined && crossedLast !== undefined && crossedFirst + crossedLast < Math.min(first, 3) + Math.min(last, 3)) {
      levels[FIRST_NAME] = crossedFirst;
      levels[LAST_NAME] = crossedLast;
      return true;
    }
  }
  levels[FIRST_NAME] = first;
  levels[LAST_NAME] = last;
  return false;
}

export function compareRecords(a: ComparableContact, b: ComparableContact, candidate: Candidate, nicknames: NicknameLookup): ComparisonVector {
  const levels = new Int8Array(COMPARISON_COUNT);
  const namesSwapped = compareInto(a, b, candidate, nicknames, levels);
  return { levels, namesSwapped };
}

// compareRecords into `levels` (COMPARISON_COUNT long), returning whether the names are swapped: the matcher compares
// every candidate of every row into one reused vector instead of a new one per pair.
export function compareInto(a: ComparableContact, b: ComparableContact, candidate: Candidate, nicknames: NicknameLookup, levels: Int8Array): boolean {
  const namesSwapped = writeNameLevels(a, b, nicknames, levels);
  levels[BIRTH_DATE] = birthDateLevel(a.corroborating.birth_date, b.corroborating.birth_date);
  // Different hashes are different strings: read the strings only when the hashes agree (see ComparableContact).
  levels[EMAIL] = a.emailHash !== b.emailHash && a.email !== undefined && b.email !== undefined ? 1 : exactLevel(a.email, b.email);
  // Two phones of seven characters or more (a tail hash) whose last seven differ differ: "different".
  levels[PHONE] = a.phoneTailHash !== b.phoneTailHash && a.phoneTailHash >= 0 && b.phoneTailHash >= 0 ? 2 : phoneLevel(a.phone, b.phone);
  levels[STREET_NUMBER] =
    a.streetNumberHash !== b.streetNumberHash && a.streetNumber !== undefined && b.streetNumber !== undefined
      ? 1
      : exactLevel(a.streetNumber, b.streetNumber);
  levels[STREET_NAME] = similarTextLevel(a.streetName, b.streetName, 0.9);
  levels[CITY] = similarTextLevel(a.city, b.city, 0.9);
  levels[STATE] = exactLevel(a.state, b.state);
  levels[POSTCODE] = postcodeLevel(a.corroborating.postcode, b.corroborating.postcode);
  levels[COMPANY] = similarTextLevel(a.corroborating.company, b.corroborating.company, 0.92);
  levels[TITLE] = exactLevel(a.corroborating.title, b.corroborating.title);
  levels[PROVIDER] = providerLevel(candidate.confidence);
  return namesSwapped;
}

export const IDENTIFIER_COMPARISONS: ReadonlySet<number> = new Set([EMAIL, PHONE]);
