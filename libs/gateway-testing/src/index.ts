export * from './test-gateway';
export * from './arena-board';
