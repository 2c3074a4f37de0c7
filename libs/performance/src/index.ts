export * from './drawdowns';
export * from './equity';
export * from './input';
export * from './random';
export * from './report';
export * from './statistics';
export * from './stats';
export * from './ranking';
