export * from './ndjson';
export * from './records';
export * from './result-columns';
export * from './result-versions';
