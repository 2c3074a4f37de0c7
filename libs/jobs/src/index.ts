export * from './config';
export * from './kinds';
export * from './store';
export * from './queue';
export * from './plugin';
