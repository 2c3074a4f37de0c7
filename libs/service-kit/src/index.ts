// Apps locate shipped files (Swagger UI, chart library) through the kit like the rest of the platform.
export { packageAsset } from '@tradeyard/runtime-util';
export * from './config';
export * from './logger';
export * from './metrics';
export * from './service';
export * from './failures';
export * from './validation';
export * from './write-auth';
export * from './errors';
