export * from './builtin';
export * from './data';
export * from './grid-spec';
export * from './sdk';
