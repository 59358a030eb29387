import { CORROBORATING_FIELDS, type ComparableContact, type CorroboratingField } from './comparable-contact';
import { withinOneEdit } from './edit-distance';
import { compareNames, type NameComparison } from './name-compatibility';
import type { MatchThresholds } from './thresholds';
import type { Candidate, NicknameLookup } from './types';

export type Identifier = 'e-mail' | 'phone';

export interface Evidence {
  names: NameComparison;
  sharedIdentifiers: Identifier[];
  corroborating: CorroboratingField[];
  // A birth date never changes, so two different ones mean two different people.
  birthDateDiffers: boolean;
  // The provider's own confidence that this is the person (0 when it gives none).
  providerConfidence: number;
  // The one name part that is incompatible yet one typing slip away from the other (Pam/Pma,
  // Cox/Cxo), if any.
  typo: 'first name' | 'last name' | undefined;
}

function typoIn(names: NameComparison, contact: ComparableContact, candidate: ComparableContact): Evidence['typo'] {
  const firstIncompatible = names.first === 'different' || names.first === 'counterpart';
  const lastIncompatible = names.last === 'different';
  // Two slips, or a slip that leaves a single letter, is no longer recognisably the same name.
  if (firstIncompatible && !lastIncompatible && Math.min(contact.first.length, candidate.first.length) >= 2) {
    return withinOneEdit(contact.first, candidate.first) ? 'first name' : undefined;
  }
  if (lastIncompatible && !firstIncompatible && Math.min(contact.lastCompact.length, candidate.lastCompact.length) >= 2) {
    return withinOneEdit(contact.lastCompact, candidate.lastCompact) ? 'last name' : undefined;
  }
  return undefined;
}

export function gatherEvidence(
  contact: ComparableContact,
  candidate: ComparableContact,
  source: Candidate,
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
  const names = compareNames(contact, candidate, nicknames, thresholds);
  const confidence = source.confidence;
  return {
    names,
    sharedIdentifiers,
    corroborating,
    birthDateDiffers: contactBirthDate !== undefined && candidateBirthDate !== undefined && contactBirthDate !== candidateBirthDate,
    providerConfidence: confidence !== undefined && Number.isFinite(confidence) ? Math.min(1, Math.max(0, confidence)) : 0,
    typo: typoIn(names, contact, candidate),
  };
}
