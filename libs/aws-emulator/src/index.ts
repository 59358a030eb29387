export * from './emulator';
export * from './lambda-function';
export * from './moto-server';
export * from './request-meter';
export * from './sqs-event-source';
export * from './stacks';
export * from './templates';
export * from './zip-archive';
