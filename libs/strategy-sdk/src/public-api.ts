/** What a strategy file imports from '@tradeyard/strategy' at run time (types aside). */
export { defineStrategy, rebalanceSchedules, StrategyDefinitionError } from './definition';
export { DecisionError } from './decision';
export { indicatorCatalog, priceFields } from './indicators';
export { p, ParamsError } from './params';
