export * from './buy-and-hold';
export * from './strategy';
