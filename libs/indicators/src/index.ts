export * from './rsi';
export * from './sma';
