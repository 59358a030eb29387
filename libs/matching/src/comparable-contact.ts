import { type CanonicalField, type ContactFields, comparableValue, hasValue } from '@refinery/contacts';
import { BoundedMemo } from './bounded-memo';
import { phoneticCode } from './soundex';
import type { Candidate } from './types';

export const CORROBORATING_FIELDS = ['company', 'street', 'city+state', 'postcode', 'birth_date', 'title'] as const;
export type CorroboratingField = (typeof CORROBORATING_FIELDS)[number];

// Everything the matcher compares, computed once per contact or candidate. Every property is always
// present (undefined when empty) so all instances share one shape: the matcher reads thousands a second.
export interface ComparableContact {
  // The standardized fields it was built from, for explanations.
  fields: ContactFields;
  first: string;
  // The first given name of a multi-word first name ("mary" of "mary ann").
  firstToken: string;
  // first !== firstToken, asked of every candidate: a flag, so the strings need not be read.
  firstHasMoreNames: boolean;
  last: string;
  // Without spaces: "garcia lopez" and "garcialopez" are one surname.
  lastCompact: string;
  // The first name without spaces (for the swapped-names test) and the sounds of the first given name and the surname.
  firstCompact: string;
  firstTokenSound: string;
  lastSound: string;
  email: string | undefined;
  phone: string | undefined;
  // Hashes of the e-mail, the phone's last seven characters (-1 when shorter) and the street number (0 when absent):
  // two different hashes are two different strings, so most candidates are told apart without reading their strings,
  // each a cache miss in a directory of people spread over memory.
  emailHash: number;
  phoneTailHash: number;
  streetNumberHash: number;
  corroborating: Readonly<Record<CorroboratingField, string | undefined>>;
  // The street apart: "12a" and "sinclair st" of "12a sinclair st". A house number differs between
  // neighbours, a street name between districts; they carry different evidence.
  streetNumber: string | undefined;
  streetName: string | undefined;
  city: string | undefined;
  state: string | undefined;
}

// "12", "12a", "12-14", "1/12" lead a street; "unit 4 12 main st" is left whole (the name then holds it).
const leadingNumber = /^(\d[\w/-]*) (.+)$/u;

function splitStreet(street: string | undefined): { number: string | undefined; name: string | undefined } {
  if (street === undefined) return { number: undefined, name: undefined };
  const parts = leadingNumber.exec(street);
  if (parts === null) {
    return /^\d[\w/-]*$/u.test(street) ? { number: street, name: undefined } : { number: undefined, name: street };
  }
  return { number: parts[1], name: parts[2] };
}

// FNV-1a over the code units of text.slice(from), kept to 30 bits (a small integer V8 stores in the object itself).
export function textHash(text: string | undefined, from = 0): number {
  if (text === undefined) return 0;
  let hash = 0x811c9dc5;
  for (let index = from; index < text.length; index += 1) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return hash & 0x3fffffff;
}

function comparable(fields: ContactFields, field: CanonicalField): string | undefined {
  const value = fields[field];
  if (!hasValue(value)) {
    return undefined;
  }
  const result = comparableValue(field, value);
  return result === '' ? undefined : result;
}

// Employers, job titles, cities and states repeat from one contact to the next (a book and a directory name a few
// thousand of each), and folding them is a fair part of building a contact's comparable form (a company's legal forms,
// a state's name looked up): each distinct text is folded once, up to a bound per field.
const REMEMBERED_VALUES = 20_000;
const rememberedValues = {
  company: new BoundedMemo((value) => comparableValue('company', value), REMEMBERED_VALUES),
  title: new BoundedMemo((value) => comparableValue('title', value), REMEMBERED_VALUES),
  city: new BoundedMemo((value) => comparableValue('city', value), REMEMBERED_VALUES),
  state: new BoundedMemo((value) => comparableValue('state', value), REMEMBERED_VALUES),
} as const;

// comparable() for a field whose values repeat (see rememberedValues).
function repeatedComparable(fields: ContactFields, field: keyof typeof rememberedValues): string | undefined {
  const value = fields[field];
  if (!hasValue(value)) {
    return undefined;
  }
  const result = rememberedValues[field].get(value);
  return result === '' ? undefined : result;
}

function cityAndState(city: string | undefined, state: string | undefined): string | undefined {
  // A city alone is weak (there are many Springfields); with its state it places a person.
  return city !== undefined && state !== undefined ? `${city}|${state}` : undefined;
}

function build(fields: ContactFields): ComparableContact {
  const first = comparable(fields, 'first_name') ?? '';
  const last = comparable(fields, 'last_name') ?? '';
  const space = first.indexOf(' ');
  const street = comparable(fields, 'street');
  const { number: streetNumber, name: streetName } = splitStreet(street);
  const firstToken = space < 0 ? first : first.slice(0, space);
  const lastCompact = last.includes(' ') ? last.replace(/ /g, '') : last;
  const city = repeatedComparable(fields, 'city');
  const state = repeatedComparable(fields, 'state');
  const email = comparable(fields, 'email');
  const phone = comparable(fields, 'phone');
  return {
    fields,
    first,
    firstToken,
    firstHasMoreNames: firstToken !== first,
    last,
    lastCompact,
    firstCompact: space < 0 ? first : first.replace(/ /g, ''),
    firstTokenSound: firstToken.length >= 3 ? phoneticCode(firstToken) : '',
    lastSound: lastCompact.length >= 3 ? phoneticCode(lastCompact) : '',
    email,
    phone,
    emailHash: textHash(email),
    phoneTailHash: phone !== undefined && phone.length >= 7 ? textHash(phone, phone.length - 7) : -1,
    streetNumberHash: textHash(streetNumber),
    corroborating: {
      company: repeatedComparable(fields, 'company'),
      street,
      'city+state': cityAndState(city, state),
      postcode: comparable(fields, 'postcode'),
      birth_date: comparable(fields, 'birth_date'),
      title: repeatedComparable(fields, 'title'),
    },
    streetNumber,
    streetName,
    city,
    state,
  };
}

export function displayName(contact: ComparableContact): string {
  const { first_name: first, last_name: last } = contact.fields;
  if (!hasValue(first)) return hasValue(last) ? last : '';
  return hasValue(last) ? `${first} ${last}` : first;
}

export function lastNameWords(contact: ComparableContact): string[] {
  return contact.last === '' ? [] : contact.last.split(' ');
}

// Keyed by the fields object: providers hand out the same candidate objects again and again, so
// each is folded once. Fields are treated as immutable once compared.
const cache = new WeakMap<ContactFields, ComparableContact>();

export function comparableContact(fields: ContactFields): ComparableContact {
  const prepared = PreparedContact.comparableOf(fields);
  if (prepared !== undefined) return prepared;
  let result = cache.get(fields);
  if (result === undefined) {
    result = build(fields);
    cache.set(fields, result);
  }
  return result;
}

// A contact's fields that keep their comparable form, built when first asked for: the matcher asks for each row's
// form twice (the directory's look-up, then the decision), and a WeakMap entry per row — set once, read once — cost
// more than the form's reads themselves (an ephemeron table entry that the garbage collector also has to visit).
// The form is a private field: the object has the fields' own properties, in their order, and nothing else (JSON,
// spreads and equality checks see the fields alone).
class PreparedContact {
  #comparable: ComparableContact | undefined;

  constructor(fields: ContactFields) {
    Object.assign(this, fields);
  }

  static comparableOf(fields: ContactFields): ComparableContact | undefined {
    if (!(#comparable in fields)) return undefined;
    fields.#comparable ??= build(fields as ContactFields);
    return fields.#comparable;
  }
}

/**
 * The same fields in an object that keeps its comparable form (see comparableContact): for a contact compared more than
 * once and then dropped, such as a book's row in the matcher. Treat it, like any compared fields, as immutable.
 */
export function prepareContact(fields: ContactFields): ContactFields {
  return new PreparedContact(fields) as ContactFields;
}

// A candidate that carries its comparable form, for providers that hand out the same people again
// and again (an in-memory directory): the matcher then skips even the cache look-up. The form is a
// private field, so it never shows up in JSON, spreads or equality checks.
class PreparedCandidate implements Candidate {
  readonly id: string;
  readonly fields: ContactFields;
  declare readonly updatedAt?: string;
  declare readonly confidence?: number;
  readonly #comparable: ComparableContact;

  constructor(candidate: Candidate) {
    this.id = candidate.id;
    this.fields = candidate.fields;
    if (candidate.updatedAt !== undefined) {
      this.updatedAt = candidate.updatedAt;
    }
    if (candidate.confidence !== undefined) {
      this.confidence = candidate.confidence;
    }
    // Built directly, not through the cache: a directory holds its people for good anyway.
    this.#comparable = build(candidate.fields);
  }

  static comparableOf(candidate: Candidate): ComparableContact | undefined {
    return #comparable in candidate ? candidate.#comparable : undefined;
  }
}

export function prepareCandidate(candidate: Candidate): Candidate {
  return new PreparedCandidate(candidate);
}

export function comparableCandidate(candidate: Candidate): ComparableContact {
  return PreparedCandidate.comparableOf(candidate) ?? comparableContact(candidate.fields);
}
