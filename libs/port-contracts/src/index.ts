export * from './object-store';
export * from './table';
export * from './publisher';
export * from './queues';
