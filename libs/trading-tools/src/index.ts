export * from './calculator';
export * from './calculator-pool';
export * from './gateway-double';
export * from './http';
export * from './tools';
