export * from './broker';
// Positions and the short-margin rule live with the fill engine (the portfolio backtester keeps them too); the broker's clients take them from here.
export { applyFill, averagePrice, cashAfterFill, DEFAULT_SHORT_MARGIN, flat, marginDenial, type MarginCode, type MarginInputs, type PositionState, type ShortMargin } from '@tradeyard/fill-engine';
export { accountMarkets, type MarketPrices } from './markets';
// The order aggregate lives with the fill engine; the broker's clients (the gateway) take it from here.
export { BrokerError, IllegalTransition, orderEvents, orderStatuses, reasonCodes, type OrderEvent, type OrderJournalEntry, type OrderStatus, type ReasonCode } from '@tradeyard/fill-engine';
export * from './schema';
export * from './protections';
