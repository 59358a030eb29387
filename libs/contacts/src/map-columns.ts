import type { ColumnMapping, MappedField } from './fields';
import { type HeaderMeaning, headerMeaning, isMailchimpExport, isMailchimpGeolocation, normalizeHeader } from './header-synonyms';

type ExplicitMapping = Readonly<Record<string, MappedField | null>>;

function explicitFieldFor(header: string, explicit: ExplicitMapping): MappedField | null | undefined {
  if (Object.hasOwn(explicit, header)) {
    return explicit[header];
  }
  const normalized = normalizeHeader(header);
  for (const [name, field] of Object.entries(explicit)) {
    if (normalizeHeader(name) === normalized) {
      return field;
    }
  }
  return undefined;
}

// What each header means by its name; nothing for columns the user mapped explicitly, nor for Mailchimp's
// REGION (see isMailchimpGeolocation).
function automaticMeanings(headers: readonly string[], explicit: readonly (MappedField | null | undefined)[]): (HeaderMeaning | null)[] {
  const mailchimp = isMailchimpExport(headers);
  return headers.map((header, index) => {
    if (explicit[index] !== undefined || (mailchimp && isMailchimpGeolocation(header))) {
      return null;
    }
    return headerMeaning(header);
  });
}

// Explicit choices are the user's word, so they claim their fields before any synonym does. Then each
// field goes to the column of the best synonym tier (Job Title before Title, Mobile Phone before Business
// Phone, Street before a whole-address column), the first such column on a tie; the others get null.
// Address parts all come from one block, the first in the file (Outlook's Business before Home, Google's
// Address 1 before Address 2): Business Street with Home City would be nobody's address.
export function mapColumns(headers: readonly string[], explicit: ExplicitMapping = {}): ColumnMapping[] {
  const explicitFields = headers.map((header) => explicitFieldFor(header, explicit));
  const claimed = new Set<MappedField>();
  const fields: (MappedField | null)[] = explicitFields.map((field) => {
    if (field === undefined || field === null || claimed.has(field)) {
      return null;
    }
    claimed.add(field);
    return field;
  });
  const meanings = automaticMeanings(headers, explicitFields);
  const addressBlock = meanings.find((meaning) => meaning?.block !== undefined)?.block;
  const candidates = meanings
    .flatMap((meaning, index) => (meaning === null || (meaning.block !== undefined && meaning.block !== addressBlock) ? [] : [{ ...meaning, index }]))
    .sort((a, b) => a.tier - b.tier || a.index - b.index);
  for (const candidate of candidates) {
    if (!claimed.has(candidate.field)) {
      claimed.add(candidate.field);
      fields[candidate.index] = candidate.field;
    }
  }
  return headers.map((name, index) => ({ index, name, field: fields[index] ?? null }));
}
