export * from './catalog';
export * from './codec';
export * from './common';
export * from './envelope';
export * from './erasure';
export * from './event-type';
export * from './json-schema';
