export * from './assets';
export * from './config';
export * from './logger';
export * from './metrics';
export * from './service';
export * from './failures';
export * from './validation';
export * from './write-auth';
