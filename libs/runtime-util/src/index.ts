export * from './assets';
export * from './dependency-unavailable';
export * from './backoff';
export * from './worker-pool';
export * from './random';
export * from './text';
