export * from './api-client';
export * from './enrich';
export * from './local-app';
export * from './tokens';
