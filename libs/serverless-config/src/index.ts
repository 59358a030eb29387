export * from './serverless-configuration';
