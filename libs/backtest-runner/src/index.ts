export * from './builtin';
export * from './check';
export * from './data';
export * from './grid-spec';
export * from './sdk';
