export type { ComparableContact, CorroboratingField } from './comparable-contact';
export {
  CORROBORATING_FIELDS,
  comparableCandidate,
  comparableContact,
  displayName,
  lastNameWords,
  prepareCandidate,
  prepareContact,
} from './comparable-contact';
export { type DecideOptions, decideMatch, scoreCandidates } from './decide-match';
export { describeWeights, type ScoredCandidate } from './explain';
export { COMPARISONS, type ComparisonName, compareRecords } from './linkage/comparisons';
export { type EstimateOptions, estimateModel, type LabelledPair, type SampleRow } from './linkage/estimate';
export {
  type Contribution,
  type LinkageModel,
  type PairScore,
  parseLinkageModel,
  priorModel,
  probabilityOfWeight,
  ScoringModel,
} from './linkage/model';
export { jaroWinkler } from './similarity';
export { phoneticCode, soundex } from './soundex';
export type { MatchThresholds } from './thresholds';
export { checkThresholds, DEFAULT_THRESHOLDS } from './thresholds';
export type { Candidate, ContactProvider, FindCandidatesOptions, MatchDecision, MatchMethod, NicknameLookup } from './types';
