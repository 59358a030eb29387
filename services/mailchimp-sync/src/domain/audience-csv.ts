import { formatPlainCsvRecord } from '@refinery/csv';

/**
 * An audience member as a row of the CSV the pipeline reads. The header uses names libs/contacts maps by itself
 * (Email Address, First Name, ...), plus the member id, which the job's explicit column mapping leaves out of the
 * contact but keeps in the result, where the write-back finds each member again.
 */
export const AUDIENCE_HEADER = [
  'Member Id',
  'Email Address',
  'First Name',
  'Last Name',
  'Phone Number',
  'Company',
  'Street',
  'City',
  'State',
  'Zip',
  'Country',
  'Birthday',
] as const;

/** The job's explicit mapping: the member id is not a contact field. */
export const AUDIENCE_COLUMN_MAPPING = { 'Member Id': null } as const;

export interface AudienceMember {
  readonly id: string;
  readonly email_address?: string;
  readonly merge_fields?: Readonly<Record<string, unknown>>;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
}

interface AddressParts {
  street: string;
  city: string;
  state: string;
  zip: string;
  country: string;
}

// The API gives ADDRESS as an object (addr1, addr2, city, state, zip, country); exports and webhooks as one string
// with parts separated by two spaces. Either way the parts go to their own columns.
function addressOf(value: unknown): AddressParts {
  if (value && typeof value === 'object') {
    const address = value as Record<string, unknown>;
    return {
      street: [text(address.addr1), text(address.addr2)].filter(Boolean).join(', '),
      city: text(address.city),
      state: text(address.state),
      zip: text(address.zip),
      country: text(address.country),
    };
  }
  const parts = text(value).split(/ {2,}/u).filter(Boolean);
  if (parts.length < 4) return { street: text(value), city: '', state: '', zip: '', country: '' };
  // addr1 [addr2] city state zip [country]: read from the end, where the short parts are.
  const hasCountry = parts.length >= 5 && !/\d/u.test(parts[parts.length - 1] ?? '');
  const tail = hasCountry ? parts.slice(-4) : [...parts.slice(-3), ''];
  const street = parts.slice(0, parts.length - (hasCountry ? 4 : 3)).join(', ');
  return { street, city: tail[0] ?? '', state: tail[1] ?? '', zip: tail[2] ?? '', country: tail[3] ?? '' };
}

export function audienceCells(member: AudienceMember): string[] {
  const merge = member.merge_fields ?? {};
  const address = addressOf(merge.ADDRESS);
  return [
    member.id,
    text(member.email_address),
    text(merge.FNAME),
    text(merge.LNAME),
    text(merge.PHONE),
    text(merge.COMPANY),
    address.street,
    address.city,
    address.state,
    address.zip,
    address.country,
    text(merge.BIRTHDAY),
  ];
}

// Plain RFC 4180, no spreadsheet guard: this is the pipeline's input, and a phone like +1 415... must stay as typed.
export const AUDIENCE_HEADER_LINE = formatPlainCsvRecord(AUDIENCE_HEADER);
