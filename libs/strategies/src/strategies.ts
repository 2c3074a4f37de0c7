import { Rsi, Sma } from '@tradeyard/indicators';
import { RollingExtreme } from './rolling-extreme';
import type { Strategy } from './strategy';

/** Fully invested from the first decision on. */
export const buyAndHold = (): Strategy => ({ name: 'buy-and-hold', onBar: () => 1 });

/** The name sma-cross(fast, slow) runs under (a grid that decides its crosses itself names runs the same). */
export const smaCrossName = (fast: number, slow: number) => `sma-cross(${fast},${slow})`;

/** Long while the fast SMA of closes is above the slow one, flat otherwise (and flat until both exist). */
export function smaCross(fast: number, slow: number): Strategy {
  const fastSma = new Sma(fast);
  const slowSma = new Sma(slow);
  return {
    name: smaCrossName(fast, slow),
    onBar(bar) {
      const f = fastSma.update(bar.close);
      const s = slowSma.update(bar.close);
      return f !== undefined && s !== undefined && f > s ? 1 : 0;
    },
  };
}

/**
 * RSI mean reversion: goes long when RSI(period) of closes falls below `buyBelow`, exits when
 * it rises above `sellAbove`, and otherwise keeps its position.
 */
export function rsiReversion(period: number, buyBelow: number, sellAbove: number): Strategy {
  const rsi = new Rsi(period);
  let position = 0;
  return {
    name: `rsi-reversion(${period},${buyBelow},${sellAbove})`,
    onBar(bar) {
      const value = rsi.update(bar.close);
      if (value !== undefined) {
        if (value < buyBelow) position = 1;
        else if (value > sellAbove) position = 0;
      }
      return position;
    },
  };
}

/**
 * Breakout (Donchian channel): goes long on a close above the highest high of the previous
 * `entryPeriod` bars, exits on a close below the lowest low of the previous `exitPeriod` bars.
 * The current bar is not part of its own channel, otherwise a close could never exceed it.
 */
export function breakout(entryPeriod: number, exitPeriod: number): Strategy {
  const highest = new RollingExtreme(entryPeriod, true);
  const lowest = new RollingExtreme(exitPeriod, false);
  let position = 0;
  return {
    name: `breakout(${entryPeriod},${exitPeriod})`,
    onBar(bar) {
      const upper = highest.current;
      const lower = lowest.current;
      if (position === 0 && upper !== undefined && bar.close > upper) position = 1;
      else if (position === 1 && lower !== undefined && bar.close < lower) position = 0;
      highest.update(bar.high);
      lowest.update(bar.low);
      return position;
    },
  };
}
