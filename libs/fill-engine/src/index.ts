export * from './average';
export * from './costs';
export * from './engine';
export * from './order';
export * from './oco';
