export * from './load';
export * from './registry';
