export * from './columns';
export * from './engine';
export * from './grid';
export * from './metrics';
export * from './options';
export * from './progress';
export * from './report';
