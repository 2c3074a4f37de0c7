export * from './spec';
export * from './strategies';
export * from './strategy';
