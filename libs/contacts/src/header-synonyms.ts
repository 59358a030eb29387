import type { MappedField } from './fields';

// Header names people actually use, per field. Keys are compared in compact form (see normalizeHeader),
// so "First Name", "first_name", "first-name" and "FirstName" are one synonym.
const synonymsByField: Readonly<Record<MappedField, readonly string[]>> = {
  first_name: ['first name', 'given name', 'forename', 'first', 'fname', 'firstname'],
  last_name: ['last name', 'surname', 'family name', 'last', 'lname', 'lastname'],
  email: ['email', 'e-mail', 'email address', 'e-mail address', 'mail'],
  phone: ['phone', 'phone number', 'mobile', 'mobile phone', 'mobile number', 'cell', 'cell phone', 'tel', 'telephone'],
  company: ['company', 'organization', 'organisation', 'employer', 'company name', 'organization name', 'organisation name'],
  title: ['title', 'job title', 'position', 'role'],
  street: ['street', 'address', 'street address', 'address line 1', 'address1', 'address 1'],
  city: ['city', 'town'],
  state: ['state', 'province', 'region', 'state province'],
  postcode: ['postcode', 'post code', 'zip', 'zip code', 'zipcode', 'postal code'],
  country: ['country', 'country code'],
  birth_date: ['birth date', 'date of birth', 'dob', 'birthday', 'birthdate'],
  full_name: ['name', 'full name', 'contact name', 'fullname'],
};

const surroundingQuotes = /^["'`“”‘’]+|["'`“”‘’]+$/gu;
const separators = /[\s_.\-]+/gu;

const fieldBySynonym = new Map<string, MappedField>();
for (const [field, synonyms] of Object.entries(synonymsByField) as [MappedField, readonly string[]][]) {
  for (const synonym of synonyms) {
    fieldBySynonym.set(compactHeader(synonym), field);
  }
}

// "  \"E-Mail_Address\" " -> "e mail address": case, accents, quotes and separators do not matter.
export function normalizeHeader(header: string): string {
  return header
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/\uFEFF/gu, '')
    .trim()
    .replace(surroundingQuotes, '')
    .toLowerCase()
    .replace(separators, ' ')
    .trim();
}

function compactHeader(header: string): string {
  return normalizeHeader(header).replace(/ /g, '');
}

export function fieldForHeader(header: string): MappedField | null {
  return fieldBySynonym.get(compactHeader(header)) ?? null;
}
