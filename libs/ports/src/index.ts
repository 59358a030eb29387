export * from './object-store';
export * from './table';
export * from './events';
export * from './clock';
export * from './ids';
export * from './queues';
export * from './queue-scans';
export * from './socket-connections';
