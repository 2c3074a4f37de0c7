export * from './auth';
export * from './bus';
export * from './config';
export * from './gateway';
