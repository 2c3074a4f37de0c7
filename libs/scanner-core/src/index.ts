export * from './config';
export * from './engine';
export * from './feeds';
export * from './history';
export * from './poster';
export * from './recent-bars';
export * from './service';
