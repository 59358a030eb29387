export * from './ports';
export * from './events';
export * from './http';
