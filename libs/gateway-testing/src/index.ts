export * from './test-gateway';
export * from './point-in-time';
export * from './arena-board';
export * from './wait';
export * from './browser';
