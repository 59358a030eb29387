export * from './auth';
export * from './config';
export * from './declaration';
export * from './errors';
export * from './http';
export * from './logger';
export * from './service';
export * from './sqs';
