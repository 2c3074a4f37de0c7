export * from './broker';
export * from './ledger';
export * from './schema';
