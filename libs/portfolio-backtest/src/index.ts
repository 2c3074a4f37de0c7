export * from './data';
export * from './engine';
export * from './ledger';
export * from './orders';
