export type { Candidate, ContactProvider, MatchDecision, MatchMethod, NicknameLookup } from './types';
export { DEFAULT_THRESHOLDS } from './thresholds';
export type { MatchThresholds } from './thresholds';
export { decideMatch } from './decide-match';
export { jaroWinkler } from './similarity';
export { CORROBORATING_FIELDS } from './comparable-contact';
export type { CorroboratingField } from './comparable-contact';
export { comparableCandidate, comparableContact, displayName, lastNameWords, prepareCandidate } from './comparable-contact';
export type { ComparableContact } from './comparable-contact';
