export * from './market-hub';
