export * from './clients';
export * from './cold-start';
export * from './common';
export * from './dead-letter-reporter';
export * from './lambda-handlers';
export * from './retry-visibility';
export * from './secrets';
