export * from './market-hub';
export * from './universe';
export * from './replay-clock';
export * from './probe';
