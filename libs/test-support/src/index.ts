export * from './aws-emulators';
export * from './events';
export * from './fake-mailchimp';
export * from './fake-sleep-clock';
export * from './http';
export * from './nock';
export * from './ports';
export * from './standard-webhooks';
