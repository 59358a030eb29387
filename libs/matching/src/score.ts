import type { CorroboratingField } from './comparable-contact';
import type { Evidence, Identifier } from './evidence';

// How strongly one agreeing field alone says "same person". Combined as a noisy-OR, so every
// agreeing field can only raise the score and the score stays in [0, 1].
const IDENTIFIER_WEIGHTS: Readonly<Record<Identifier, number>> = { 'e-mail': 0.6, phone: 0.6 };
export const CORROBORATION_WEIGHTS: Readonly<Record<CorroboratingField, number>> = {
  birth_date: 0.5,
  company: 0.35,
  street: 0.35,
  postcode: 0.2,
  'city+state': 0.15,
  title: 0.15,
};
// A name alone, however close, is worth at most one half: many people share a name.
const NAME_WEIGHT = 0.5;
// A provider that matched the person itself (People Data Labs' likelihood) vouches at most this much:
// its answer is evidence we cannot inspect, so it never outweighs what we can see.
const PROVIDER_CONFIDENCE_WEIGHT = 0.5;

// The evidence besides the name and the identifiers, in [0, 1]: what a fuzzy or nickname match must
// reach (thresholds.minCorroboration).
export function corroborationStrength(evidence: Evidence): number {
  let doubt = 1 - PROVIDER_CONFIDENCE_WEIGHT * evidence.providerConfidence;
  for (const field of evidence.corroborating) {
    doubt *= 1 - CORROBORATION_WEIGHTS[field];
  }
  return 1 - doubt;
}

export function scoreEvidence(evidence: Evidence): number {
  let doubt = (1 - NAME_WEIGHT * evidence.names.score) * (1 - corroborationStrength(evidence));
  for (const identifier of evidence.sharedIdentifiers) {
    doubt *= 1 - IDENTIFIER_WEIGHTS[identifier];
  }
  return 1 - doubt;
}
