export * from './market-hub';
export * from './universe';
