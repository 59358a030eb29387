import { type ComparableContact, type CorroboratingField, comparableCandidate } from './comparable-contact';
import { type Evidence, gatherEvidence } from './evidence';
import { corroborationStrength, scoreEvidence } from './score';
import type { MatchThresholds } from './thresholds';
import type { Candidate, MatchMethod, NicknameLookup } from './types';

export interface Assessment {
  candidate: Candidate;
  comparable: ComparableContact;
  evidence: Evidence;
  score: number;
  // Set when the candidate qualifies; otherwise `rejection` says why not.
  method?: MatchMethod;
  rejection?: string;
}

// Details that belong to one person, not to a household or a town.
const PERSONAL_FIELDS: ReadonlySet<CorroboratingField> = new Set(['birth_date', 'company']);

function describeCorroboration(evidence: Evidence): string {
  const parts: string[] = [...evidence.corroborating];
  if (evidence.providerConfidence > 0) parts.push(`provider confidence ${evidence.providerConfidence.toFixed(2)}`);
  return parts.length === 0 ? 'nothing else equal' : `only ${parts.join(' and ')} equal`;
}

function isBelievableSlip(evidence: Evidence, thresholds: MatchThresholds): boolean {
  const { names } = evidence;
  const otherPartEqual = evidence.typo === 'first name' ? names.last === 'equal' : names.first === 'equal';
  return otherPartEqual && evidence.corroborating.includes('birth_date') && corroborationStrength(evidence) >= thresholds.minTypoCorroboration;
}

function qualify(evidence: Evidence, thresholds: MatchThresholds): { method: MatchMethod } | { rejection: string } {
  const { names, sharedIdentifiers, corroborating } = evidence;
  if (evidence.birthDateDiffers) {
    return { rejection: 'has a different birth_date' };
  }
  const lastCompatible = names.last !== 'different';
  const firstCompatible = names.first !== 'different' && names.first !== 'counterpart';
  if (sharedIdentifiers.length > 0) {
    if (lastCompatible && firstCompatible) {
      return { method: 'exact' };
    }
    // A typing slip in one name part is believed only when a personal detail agrees too: a household
    // shares the phone, the street and sometimes the e-mail, but not a birth date or an employer.
    if (evidence.typo !== undefined && corroborating.some((field) => PERSONAL_FIELDS.has(field))) {
      return { method: 'exact' };
    }
    // A shared family address or landline: the identifier says "same household", not "same person".
    const part = lastCompatible ? `first name (${names.firstSimilarity.toFixed(2)})` : `last name (${names.lastSimilarity.toFixed(2)})`;
    return { rejection: `shares the ${sharedIdentifiers.join(' and ')} but its ${part} is not compatible` };
  }
  // Without an identifier a slip needs the other name part spelled exactly alike and a birth date with
  // more besides: that is what an old book with a misspelt name still has in common with the person.
  if (evidence.typo !== undefined && isBelievableSlip(evidence, thresholds)) {
    return { method: 'fuzzy' };
  }
  if (!lastCompatible) {
    return { rejection: `has a different last name (${names.lastSimilarity.toFixed(2)})` };
  }
  if (names.first === 'counterpart') {
    return { rejection: 'has a related but distinct first name (like Paul and Paula)' };
  }
  if (names.first === 'different') {
    return { rejection: `has a different first name (${names.firstSimilarity.toFixed(2)})` };
  }
  if (names.first === 'initial') {
    return { rejection: 'matches only on the first initial, which needs a shared e-mail or phone' };
  }
  if (names.first === 'nickname' && (names.last === 'similar' || names.last === 'compound')) {
    return {
      rejection: `is a nickname with a ${names.last === 'similar' ? 'differently spelled' : 'partly different'} last name, one uncertainty too many`,
    };
  }
  const strength = corroborationStrength(evidence);
  if (strength < thresholds.minCorroboration) {
    return {
      rejection:
        corroborating.length === 0 && evidence.providerConfidence === 0
          ? 'has no corroborating field'
          : `has too little corroboration (${describeCorroboration(evidence)}: ${strength.toFixed(2)}, ${thresholds.minCorroboration} needed)`,
    };
  }
  return { method: names.first === 'nickname' ? 'nickname' : 'fuzzy' };
}

export function assessCandidate(
  contact: ComparableContact,
  candidate: Candidate,
  nicknames: NicknameLookup,
  thresholds: MatchThresholds,
): Assessment {
  const comparable = comparableCandidate(candidate);
  const evidence = gatherEvidence(contact, comparable, candidate, nicknames, thresholds);
  return { candidate, comparable, evidence, score: scoreEvidence(evidence), ...qualify(evidence, thresholds) };
}
