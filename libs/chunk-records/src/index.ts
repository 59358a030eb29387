export * from './ndjson';
export * from './records';
export * from './result-columns';
