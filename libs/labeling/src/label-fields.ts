import { CANONICAL_FIELDS, type CanonicalField, type ContactFields, cleanText, comparableValue, hasValue } from '@refinery/contacts';

export type FieldStatus = 'confirmed' | 'old' | 'new' | 'unverified' | 'empty';

export interface FieldLabel {
  status: FieldStatus;
  // The provider's display value, whenever there is a match and the provider has one.
  latest?: string;
}

// A value with no comparable form (a birthday without a year, an unreadable date) cannot confirm
// anything: it equals only the same text, and against a readable value the provider's is the better one.
function sameValue(field: CanonicalField, mine: string, theirs: string): boolean {
  // The same text has the same comparable form: most fields of a matched row are confirmed this way, without folding
  // both sides (a phone's parse, a date's, a street's short forms) for every field of every row.
  if (mine === theirs) return true;
  const a = comparableValue(field, mine);
  const b = comparableValue(field, theirs);
  if (a !== '' && b !== '') return a === b;
  return a === '' && b === '' && cleanText(mine).toLowerCase() === cleanText(theirs).toLowerCase();
}

export function labelField(field: CanonicalField, mine: string | undefined, theirs: string | undefined, matched: boolean): FieldLabel {
  const hasMine = hasValue(mine);
  const hasTheirs = matched && hasValue(theirs);
  if (!hasTheirs) {
    return { status: hasMine ? 'unverified' : 'empty' };
  }
  if (!hasMine) {
    return { status: 'new', latest: theirs };
  }
  return { status: sameValue(field, mine, theirs) ? 'confirmed' : 'old', latest: theirs };
}

// `matched` is the matched candidate's fields, or undefined when no candidate was accepted.
export function labelFields(contact: ContactFields, matched: ContactFields | undefined): Record<CanonicalField, FieldLabel> {
  const labels = {} as Record<CanonicalField, FieldLabel>;
  for (const field of CANONICAL_FIELDS) {
    labels[field] = labelField(field, contact[field], matched?.[field], matched !== undefined);
  }
  return labels;
}
