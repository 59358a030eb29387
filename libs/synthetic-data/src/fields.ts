import { CANONICAL_FIELDS, type CanonicalField } from '@refinery/contacts';

/**
 * The canonical contact fields, in the order of both CSV headers. Only the list comes from the system under test;
 * everything the generator decides about values and expected labels is its own.
 */
export const CONTACT_FIELDS = CANONICAL_FIELDS;

export type ContactField = CanonicalField;

/** One value per canonical field; an empty string means the value is missing. */
export type ContactValues = Record<ContactField, string>;

export const DIRECTORY_HEADER: readonly string[] = ['id', ...CONTACT_FIELDS, 'updated_at'];

/** The contact book's header uses the synonyms people type, in CONTACT_FIELDS order. */
export const BOOK_HEADER: readonly string[] = [
  'First Name',
  'Last Name',
  'Email',
  'Phone',
  'Company',
  'Job Title',
  'Street',
  'City',
  'State',
  'Zip',
  'Country',
  'Birthday',
];

/** The only columns of a register book (identifier-free: no e-mail, phone, company, title or country). */
export const REGISTER_FIELDS = [
  'first_name',
  'last_name',
  'street',
  'city',
  'state',
  'postcode',
  'birth_date',
] as const satisfies readonly ContactField[];

export type RegisterField = (typeof REGISTER_FIELDS)[number];

/** The register book's header, in REGISTER_FIELDS order, as a county register or a sign-up sheet names them. */
export const REGISTER_HEADER: readonly string[] = ['First Name', 'Last Name', 'Street', 'City', 'State', 'Zip', 'Date of Birth'];

export type FieldStatus = 'confirmed' | 'old' | 'new' | 'unverified' | 'empty';

/** Builds a record with one entry per canonical field (spelled out so the compiler checks every key). */
export function mapContactFields<T>(valueFor: (field: ContactField) => T): Record<ContactField, T> {
  return {
    first_name: valueFor('first_name'),
    last_name: valueFor('last_name'),
    email: valueFor('email'),
    phone: valueFor('phone'),
    company: valueFor('company'),
    title: valueFor('title'),
    street: valueFor('street'),
    city: valueFor('city'),
    state: valueFor('state'),
    postcode: valueFor('postcode'),
    country: valueFor('country'),
    birth_date: valueFor('birth_date'),
  };
}

export function emptyContactValues(): ContactValues {
  return mapContactFields(() => '');
}

/** Picks the contact fields out of a larger record, e.g. a directory person. */
export function contactValuesOf(record: ContactValues): ContactValues {
  return mapContactFields((field) => record[field]);
}

export function contactCells(values: ContactValues): string[] {
  return CONTACT_FIELDS.map((field) => values[field]);
}

export function registerCells(values: ContactValues): string[] {
  return REGISTER_FIELDS.map((field) => values[field]);
}
