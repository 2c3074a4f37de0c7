export * from './calculator';
export * from './calculator-pool';
export * from './http';
export * from './config';
export * from './service';
export * from './tools';
export * from './principals';
export * from './stdio';
