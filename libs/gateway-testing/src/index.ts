export * from './test-gateway';
