export * from './bar';
export * from './datasets';
export * from './replay';
