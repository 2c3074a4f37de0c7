import type { Bar } from '@tradeyard/market-data';
import { loadSp500 } from '@tradeyard/market-data';
import { notional, toMicros } from '@tradeyard/money';
import { createStrategy } from '@tradeyard/strategies';
import { runBacktest } from './engine';

const bar = (day: number, open: number, close: number): Bar => ({
  symbol: 'TEST',
  time: Date.UTC(2020, 0, day + 1),
  open,
  high: Math.max(open, close),
  low: Math.min(open, close),
  close,
  volume: 1000,
});

describe('runBacktest', () => {
  it('fills a close-of-bar decision at the next open and marks equity at each close', () => {
    const bars = [bar(0, 10, 10), bar(1, 20, 25), bar(2, 25, 30)];
    const result = runBacktest(bars, createStrategy({ name: 'buy-and-hold' }), { initialCash: 1000 });
    // Bought 50 shares at 20 (bar 1 open): equity 1000, 1250, 1500.
    expect(Array.from(result.equity)).toEqual([1000, 1250, 1500]);
    expect(result.finalEquity).toBe(1500);
    expect(result.totalReturn).toBeCloseTo(0.5, 12);
  });

  it('buy-and-hold on the S&P 500 earns close[last] / open[1], on the largest micro-share quantity the cash buys', () => {
    const bars = loadSp500();
    const result = runBacktest(bars, createStrategy({ name: 'buy-and-hold' }));
    expect(result.bars).toBe(5105);
    // Quantities are micro-units (libs/money): what is left in cash is less than one micro-share's price.
    const cash = toMicros(100_000);
    const open = toMicros(bars[1].open);
    expect(result.ledger.cash).toBe(cash - notional(result.ledger.shares, open));
    expect(notional(result.ledger.shares + 1n, open)).toBeGreaterThan(cash);
    expect(result.ledger.equity).toBe(result.ledger.cash + notional(result.ledger.shares, toMicros(bars[bars.length - 1].close)));
    expect(result.finalEquity).toBeCloseTo((100_000 * bars[bars.length - 1].close) / bars[1].open, 2);
  });

  it('rejects empty input', () => {
    expect(() => runBacktest([], createStrategy({ name: 'buy-and-hold' }))).toThrow('bars must hold at least one bar');
  });
});
