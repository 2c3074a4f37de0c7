export * from './data';
export * from './engine';
export * from './grid';
export * from './ledger';
export * from './orders';
export * from './report';
