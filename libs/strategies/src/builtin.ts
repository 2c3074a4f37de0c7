import type { AnyStrategyDefinition } from '@tradeyard/strategy';
import breakout from './breakout';
import buyAndHold from './buy-and-hold';
import rsiReversion from './rsi-reversion';
import smaCross from './sma-cross';

/** The four strategies the platform ships, each one file written with @tradeyard/strategy, by name. */
export const builtinStrategies = {
  'buy-and-hold': buyAndHold,
  'sma-cross': smaCross,
  'rsi-reversion': rsiReversion,
  breakout,
} as const satisfies Record<string, AnyStrategyDefinition>;
