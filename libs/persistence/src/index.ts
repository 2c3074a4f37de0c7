export * from './database';
export * from './migrate';
export * from './test-servers';
export * from './outbox';
