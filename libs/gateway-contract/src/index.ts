export * from './client';
export * from './schemas';
export * from './arena';
export * from './tokens';
export * from './markets';
