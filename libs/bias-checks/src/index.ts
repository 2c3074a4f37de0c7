export * from './decisions';
export * from './lookahead';
export * from './run';
export * from './text';
export * from './warmup';
