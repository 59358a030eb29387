export * from './envelope';
export * from './event-type';
export * from './common';
export * from './catalog';
export * from './codec';
export * from './json-schema';
