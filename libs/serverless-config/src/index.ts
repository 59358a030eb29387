export * from './aws-regions';
export * from './serverless-configuration';
