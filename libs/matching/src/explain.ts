import { type ComparableContact, displayName } from './comparable-contact';
import { signedBits as signed, toFixedDigits } from './fixed-decimals';
import type { PairScore } from './linkage/model';
import type { MatchThresholds } from './thresholds';
import type { Candidate } from './types';

export interface ScoredCandidate {
  candidate: Candidate;
  comparable: ComparableContact;
  levels: Int8Array;
  // The pair's match weight (prior included), and the same with every contribution (computed when first read).
  weight: number;
  readonly score: PairScore;
  // describeWeights(score), written without building the score (see ScoringModel.describeWeights).
  describeWeights(): string;
  // Among the row's candidates (see scoreCandidates).
  probability: number;
}

function probability(value: number): string {
  // Four decimals tell 0.9990 from 0.9999; never round a non-certainty to 1.
  const fixed = toFixedDigits(value, 4);
  return fixed === '1.0000' && value < 1 ? '0.9999' : fixed;
}

// The waterfall of one pair, as Splink draws it: prior, then each field's weight, the household cap,
// and the fields that could not be compared. "field level +w" parts are read back by the web page.
export function describeWeights(score: PairScore): string {
  const parts = [`prior ${signed(score.prior)}`];
  for (const part of score.contributions) parts.push(`${part.comparison} ${part.level} ${signed(part.weight)}`);
  if (score.nested > 0.05) parts.push(`places nest (one town, one street) ${signed(-score.nested)}`);
  if (score.capped > 0) parts.push(`household evidence capped ${signed(-score.capped)}`);
  if (score.changedTogether > 0.05) parts.push(`changes counted once ${signed(score.changedTogether)}`);
  if (score.namesSwapped) parts.push('first and last name swapped');
  if (score.missing.length > 0) parts.push(`missing: ${score.missing.join(', ')}`);
  return parts.join(', ');
}

function describeCandidate(entry: ScoredCandidate): string {
  return `"${displayName(entry.comparable)}" (id ${entry.candidate.id}, probability ${probability(entry.probability)})`;
}

const VERDICT = {
  matched: 'matched',
  review: 'needs review',
  unmatched: 'not matched',
} as const;

export function explainDecision(
  subject: ComparableContact,
  best: ScoredCandidate | undefined,
  runnerUp: ScoredCandidate | undefined,
  status: keyof typeof VERDICT,
  thresholds: MatchThresholds,
): string {
  if (best === undefined) {
    const missing = (['first_name', 'last_name'] as const).filter((field) => (field === 'first_name' ? subject.first : subject.lastCompact) === '');
    return `the provider returned no candidates${missing.length > 0 ? ` (missing: ${missing.join(', ')})` : ''}`;
  }
  const band =
    status === 'matched'
      ? `at least ${thresholds.match}`
      : status === 'review'
        ? `between ${thresholds.review} and ${thresholds.match}`
        : `below ${thresholds.review}`;
  // The weight is the score's (weightFor and score() add up the same parts).
  const reason = `${VERDICT[status]}: ${describeCandidate(best)}, ${band}; weight ${signed(best.weight)} bits = ${best.describeWeights()}`;
  return runnerUp !== undefined && runnerUp.probability >= 0.001 ? `${reason}; next ${describeCandidate(runnerUp)}` : reason;
}
