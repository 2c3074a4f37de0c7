export * from './builtin';
export * from './spec';
export * from './strategy';
