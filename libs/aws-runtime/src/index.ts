export * from './clients';
export * from './common';
export * from './cold-start';
export * from './lambda-handlers';
