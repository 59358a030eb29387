export * from './ports';
export * from './events';
export * from './http';
export * from './aws-emulators';
export * from './event-bridge-stand-in';
export * from './event-source-poller';
export * from './nock';
export * from './fake-mailchimp';
