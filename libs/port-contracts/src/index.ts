export * from './multipart-upload';
export * from './object-store';
export * from './publisher';
export * from './queues';
export * from './table';
