// Apps locate shipped files (Swagger UI, chart library) through the kit like the rest of the platform.
export { packageAsset } from '@tradeyard/runtime-util';
export * from './auth';
export * from './config';
export * from './logger';
export * from './metrics';
export * from './health';
export * from './openapi';
export * from './service';
export * from './failures';
export * from './validation';
export * from './errors';
