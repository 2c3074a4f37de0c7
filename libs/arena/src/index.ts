export * from './board';
export * from './config';
export * from './model-gateway';
export * from './runner';
export * from './service';
