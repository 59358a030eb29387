export * from './records';
export * from './ndjson';
export * from './result-columns';
