export * from './broker';
export * from './ledger';
export * from './margin';
export { accountMarkets, type MarketPrices } from './markets';
// The order aggregate lives with the fill engine; the broker's clients (the gateway) take it from here.
export { BrokerError, IllegalTransition, orderEvents, orderStatuses, reasonCodes, type OrderEvent, type OrderJournalEntry, type OrderStatus, type ReasonCode } from '@tradeyard/fill-engine';
export * from './schema';
export * from './protections';
