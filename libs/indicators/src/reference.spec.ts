import { loadSp500 } from '@tradeyard/market-data';
import { RSI, SMA } from 'technicalindicators';
import { Rsi } from './rsi';
import { Sma } from './sma';

// Each indicator against an independent implementation over the whole S&P 500 history.
const closes = loadSp500().map((b) => b.close);

function expectClose(ours: (number | undefined)[], reference: number[], warmUp: number, tolerance: number) {
  const defined = ours.slice(warmUp) as number[];
  expect(ours.slice(0, warmUp).every((v) => v === undefined)).toBe(true);
  expect(defined).toHaveLength(reference.length);
  for (let i = 0; i < defined.length; i++) {
    const rel = Math.abs(defined[i] - reference[i]) / Math.max(1, Math.abs(reference[i]));
    if (rel > tolerance) throw new Error(`value ${i + warmUp}: ours ${defined[i]}, reference ${reference[i]}`);
  }
}

describe('indicators match technicalindicators on the S&P 500 series', () => {
  it.each([5, 20, 50, 200])('SMA(%i)', (period) => {
    const sma = new Sma(period);
    expectClose(closes.map((c) => sma.update(c)), SMA.calculate({ period, values: closes }), period - 1, 1e-9);
  });

  it('RSI(14)', () => {
    const rsi = new Rsi(14);
    // technicalindicators rounds RSI to 2 decimals, so compare to that precision.
    const ours = closes.map((c) => rsi.update(c));
    const reference = RSI.calculate({ period: 14, values: closes });
    expectClose(ours.map((v) => (v === undefined ? v : Math.round(v * 100) / 100)), reference, 14, 1e-9);
  });

  it('rejects a bad period with a clear message', () => {
    expect(() => new Sma(0)).toThrow('period must be a whole number >= 1, got 0');
  });
});
