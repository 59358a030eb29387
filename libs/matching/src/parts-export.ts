export { comparableCandidate, comparableContact } from './comparable-contact';
export { scoreCandidates } from './decide-match';
export { explainDecision } from './explain';
export * from './linkage/comparisons';
