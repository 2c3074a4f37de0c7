export * from './auth';
export * from './bus';
export * from './config';
export * from './gateway';
export { serviceCredentials, type ServiceName, type ServiceScope } from './service-credentials';
