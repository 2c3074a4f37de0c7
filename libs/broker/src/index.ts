export * from './broker';
export * from './ledger';
export * from './order';
export * from './schema';
