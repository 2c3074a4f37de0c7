export * from './rule';
export * from './engine';
export * from './recent-bars';
export * from './starter-rules';
