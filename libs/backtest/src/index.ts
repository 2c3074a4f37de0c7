export * from './columns';
export * from './engine';
export * from './grid';
export * from './options';
export * from './progress';
export * from './report';
export * from './sma-grid';
export * from './walk-forward';
