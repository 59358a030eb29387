export { matchesEventPattern, validateEventPattern, type EventPattern } from './pattern';
