import type { CorroboratingField } from './comparable-contact';
import type { Evidence, Identifier } from './evidence';

// How strongly one agreeing field alone says "same person". Combined as a noisy-OR, so every
// agreeing field can only raise the score and the score stays in [0, 1].
const IDENTIFIER_WEIGHTS: Readonly<Record<Identifier, number>> = { 'e-mail': 0.6, phone: 0.6 };
const CORROBORATION_WEIGHTS: Readonly<Record<CorroboratingField, number>> = {
  birth_date: 0.5,
  company: 0.35,
  street: 0.35,
  postcode: 0.2,
  'city+state': 0.15,
  title: 0.15,
};
// A name alone, however close, is worth at most one half: many people share a name.
const NAME_WEIGHT = 0.5;

export function scoreEvidence(evidence: Evidence): number {
  let doubt = 1 - NAME_WEIGHT * evidence.names.score;
  for (const identifier of evidence.sharedIdentifiers) {
    doubt *= 1 - IDENTIFIER_WEIGHTS[identifier];
  }
  for (const field of evidence.corroborating) {
    doubt *= 1 - CORROBORATION_WEIGHTS[field];
  }
  return 1 - doubt;
}
