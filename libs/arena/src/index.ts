export * from './board';
export * from './config';
export * from './market';
export * from './model-access';
export * from './model-gateway';
export * from './probe';
export * from './runner';
export * from './service';
