export * from './local-app';
export * from './api-client';
export * from './enrich';
export * from './tokens';
