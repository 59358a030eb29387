import { CANONICAL_FIELDS, comparableValue, hasValue, type CanonicalField, type ContactFields } from '@refinery/contacts';

export type FieldStatus = 'confirmed' | 'old' | 'new' | 'unverified' | 'empty';

export interface FieldLabel {
  status: FieldStatus;
  // The provider's display value, whenever there is a match and the provider has one.
  latest?: string;
}

export function labelField(
  field: CanonicalField,
  mine: string | undefined,
  theirs: string | undefined,
  matched: boolean,
): FieldLabel {
  const hasMine = hasValue(mine);
  const hasTheirs = matched && hasValue(theirs);
  if (!hasTheirs) {
    return { status: hasMine ? 'unverified' : 'empty' };
  }
  if (!hasMine) {
    return { status: 'new', latest: theirs };
  }
  const same = comparableValue(field, mine) === comparableValue(field, theirs);
  return { status: same ? 'confirmed' : 'old', latest: theirs };
}

// `matched` is the matched candidate's fields, or undefined when no candidate was accepted.
export function labelFields(contact: ContactFields, matched: ContactFields | undefined): Record<CanonicalField, FieldLabel> {
  const labels = {} as Record<CanonicalField, FieldLabel>;
  for (const field of CANONICAL_FIELDS) {
    labels[field] = labelField(field, contact[field], matched?.[field], matched !== undefined);
  }
  return labels;
}
