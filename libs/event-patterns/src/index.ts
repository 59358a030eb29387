export { type EventPattern, matchesEventPattern, validateEventPattern } from './pattern';
