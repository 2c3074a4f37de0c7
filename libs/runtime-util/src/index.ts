export * from './assets';
export * from './dependency-unavailable';
export * from './backoff';
