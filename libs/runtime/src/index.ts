export * from './declaration';
export * from './errors';
export * from './logger';
export * from './config';
export * from './sqs';
export * from './http';
export * from './auth';
export * from './service';
