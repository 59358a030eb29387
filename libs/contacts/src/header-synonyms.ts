import type { MappedField } from './fields';

// Headers that hold a whole postal address in one cell (Mailchimp's ADDRESS): only the street when
// nothing names the street itself, and split into its parts by fieldsFromRecord.
const wholeAddressSynonyms = ['address', 'full address', 'postal address'];

// Header names people and exporters (Mailchimp, Google Contacts, Outlook) use, per field, in tiers of
// preference: when several columns claim a field, a column of an earlier tier wins. Keys are compared in
// compact form (see normalizeHeader), so "First Name", "first_name", "first-name" and "FirstName" are one
// synonym. A number inside a header is ignored ("E-mail 2 Address", "Phone 1 - Value").
const synonymTiersByField: Readonly<Record<MappedField, readonly (readonly string[])[]>> = {
  first_name: [['first name', 'given name', 'forename', 'first', 'fname', 'firstname']],
  last_name: [['last name', 'surname', 'family name', 'last', 'lname', 'lastname']],
  email: [['email', 'e-mail', 'email address', 'e-mail address', 'mail', 'email value']],
  // A mobile number is the person's own and follows them from job to job; a business line is the desk's.
  phone: [
    ['mobile', 'mobile phone', 'mobile number', 'cell', 'cell phone'],
    ['phone', 'phone number', 'tel', 'telephone', 'phone value', 'primary phone'],
    ['business phone', 'work phone'],
    ['home phone'],
  ],
  company: [['company', 'organization', 'organisation', 'employer', 'company name', 'organization name', 'organisation name']],
  // Outlook's "Title" column is the honorific (Mr., Dr.): a job-title column, when there is one, wins over it.
  title: [['job title', 'position', 'role', 'organization title', 'organisation title'], ['title']],
  street: [['street', 'street address', 'address line 1', 'address1', 'address 1'], wholeAddressSynonyms],
  city: [['city', 'town', 'suburb', 'locality']],
  state: [['state', 'province', 'region', 'state province', 'state/province']],
  postcode: [['postcode', 'post code', 'zip', 'zip code', 'zipcode', 'postal code', 'zip/postal code']],
  country: [['country', 'country code', 'country/region']],
  birth_date: [['birth date', 'date of birth', 'dob', 'birthday', 'birthdate']],
  full_name: [['name', 'full name', 'contact name', 'fullname']],
  street_number: [['street number', 'house number', 'street no', 'house no', 'building number', 'street num']],
};

export interface HeaderMeaning {
  field: MappedField;
  // Lower wins when several columns claim the field.
  tier: number;
  // The address a prefixed address column belongs to ("business", "home", "address 1").
  block?: string;
}

const ADDRESS_FIELDS: ReadonlySet<MappedField> = new Set(['street', 'city', 'state', 'postcode', 'country']);
// "Business City" (Outlook), "Address 1 - City" (Google), "Mailing Street" (Salesforce).
const addressBlock = /^(business|work|home|other|mailing|billing|shipping|address \d+) (.+)$/u;
// "e mail 2 address" -> "e mail address"; a trailing number ("business phone 2") is kept: it is a second line.
const columnNumber = /^(\D+?) \d+ (?=\D)/u;
const surroundingQuotes = /^["'`“”‘’]+|["'`“”‘’]+$/gu;
const separators = /[\s_.-]+/gu;

const meaningBySynonym = new Map<string, HeaderMeaning>();
for (const [field, tiers] of Object.entries(synonymTiersByField) as [MappedField, readonly (readonly string[])[]][]) {
  tiers.forEach((synonyms, tier) => {
    for (const synonym of synonyms) {
      meaningBySynonym.set(compactHeader(synonym), { field, tier });
    }
  });
}
const wholeAddressKeys: ReadonlySet<string> = new Set(wholeAddressSynonyms.map(compactHeader));

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

interface AddressColumn {
  block: string;
  part: string;
  meaning: HeaderMeaning;
}

// "home street" -> the street of block "home"; undefined when the header is not a prefixed address part.
function addressColumn(normalized: string): AddressColumn | undefined {
  const parts = addressBlock.exec(normalized);
  const part = parts?.[2] ?? '';
  const meaning = meaningBySynonym.get(part.replace(/ /g, ''));
  if (parts === null || meaning === undefined || !ADDRESS_FIELDS.has(meaning.field)) {
    return undefined;
  }
  return { block: parts[1] ?? '', part, meaning };
}

export function headerMeaning(header: string): HeaderMeaning | null {
  const normalized = normalizeHeader(header);
  const address = addressColumn(normalized);
  if (address !== undefined) {
    return { ...address.meaning, block: address.block };
  }
  return meaningBySynonym.get(normalized.replace(columnNumber, '$1 ').replace(/ /g, '')) ?? null;
}

// "Address", "Home Address", "Full Address": a column whose cells may hold every part of an address.
export function isWholeAddressHeader(header: string): boolean {
  const normalized = normalizeHeader(header);
  const part = addressColumn(normalized)?.part ?? normalized;
  return wholeAddressKeys.has(part.replace(/ /g, ''));
}

// Mailchimp always exports these system columns; next to them REGION is the state the subscriber's IP
// was located in (like CC, its country, which no synonym claims), not the state of their address.
const mailchimpSystemColumns: ReadonlySet<string> = new Set(['memberrating', 'optintime', 'leid', 'euid']);

export function isMailchimpExport(headers: readonly string[]): boolean {
  return headers.some((header) => mailchimpSystemColumns.has(compactHeader(header)));
}

export function isMailchimpGeolocation(header: string): boolean {
  return compactHeader(header) === 'region';
}
