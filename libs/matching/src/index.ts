export type { ComparableContact, CorroboratingField } from './comparable-contact';
export { CORROBORATING_FIELDS, comparableCandidate, comparableContact, displayName, lastNameWords, prepareCandidate } from './comparable-contact';
export { decideMatch } from './decide-match';
export { jaroWinkler } from './similarity';
export type { MatchThresholds } from './thresholds';
export { DEFAULT_THRESHOLDS } from './thresholds';
export type { Candidate, ContactProvider, MatchDecision, MatchMethod, NicknameLookup } from './types';
