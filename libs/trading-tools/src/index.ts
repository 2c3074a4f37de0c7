export * from './calculator';
export * from './calculator-pool';
export * from './http';
export * from './tools';
