export * from './assets';
export * from './dependency-unavailable';
