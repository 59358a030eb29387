import { CORROBORATING_FIELDS, type ComparableContact, type CorroboratingField } from './comparable-contact';
import { compareNames, type NameComparison } from './name-compatibility';
import type { MatchThresholds } from './thresholds';
import type { NicknameLookup } from './types';

export type Identifier = 'e-mail' | 'phone';

export interface Evidence {
  names: NameComparison;
  sharedIdentifiers: Identifier[];
  corroborating: CorroboratingField[];
  // A birth date never changes, so two different ones mean two different people.
  birthDateDiffers: boolean;
}

export function gatherEvidence(
  contact: ComparableContact,
  candidate: ComparableContact,
  nicknames: NicknameLookup,
  thresholds: MatchThresholds,
): Evidence {
  const sharedIdentifiers: Identifier[] = [];
  if (contact.email !== undefined && contact.email === candidate.email) {
    sharedIdentifiers.push('e-mail');
  }
  if (contact.phone !== undefined && contact.phone === candidate.phone) {
    sharedIdentifiers.push('phone');
  }
  const corroborating = CORROBORATING_FIELDS.filter((field) => {
    const value = contact.corroborating[field];
    return value !== undefined && value === candidate.corroborating[field];
  });
  const contactBirthDate = contact.corroborating.birth_date;
  const candidateBirthDate = candidate.corroborating.birth_date;
  return {
    names: compareNames(contact, candidate, nicknames, thresholds),
    sharedIdentifiers,
    corroborating,
    birthDateDiffers:
      contactBirthDate !== undefined && candidateBirthDate !== undefined && contactBirthDate !== candidateBirthDate,
  };
}
