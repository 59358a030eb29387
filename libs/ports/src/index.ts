export * from './clock';
export * from './events';
export * from './ids';
export * from './object-store';
export * from './queue-scans';
export * from './queues';
export * from './socket-connections';
export * from './table';
