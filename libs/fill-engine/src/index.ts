export * from './average';
export * from './costs';
export * from './engine';
export * from './order';
export * from './oco';
export * from './margin';
export * from './position';
