export * from './calculator';
export * from './gateway-double';
export * from './http';
export * from './tools';
