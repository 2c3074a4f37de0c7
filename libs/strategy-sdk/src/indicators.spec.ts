import { loadSp500, syntheticUniverse, type Bar } from '@tradeyard/market-data';
import { indicatorCatalog as i, type IndicatorCatalog, type IndicatorSpec, type SeriesInput } from './index';

const columnsOf = (bars: readonly Bar[]): SeriesInput => ({
  length: bars.length,
  open: bars.map((b) => b.open),
  high: bars.map((b) => b.high),
  low: bars.map((b) => b.low),
  close: bars.map((b) => b.close),
  volume: bars.map((b) => b.volume),
});

/**
 * Declarations of every indicator the SDK offers (a Record over the catalog: one missing here is
 * a type error), with short and long periods and each source.
 */
const samples: Record<keyof IndicatorCatalog, IndicatorSpec[]> = {
  sma: [i.sma('close', 1), i.sma('close', 50), i.sma('volume', 20), i.sma('high', 200)],
  ema: [i.ema('close', 1), i.ema('close', 20), i.ema('low', 100)],
  roc: [i.roc('close', 1), i.roc('close', 120), i.roc('open', 20)],
  rsi: [i.rsi('close'), i.rsi('close', 2), i.rsi('high', 50)],
  highest: [i.highest('high', 1), i.highest('high', 20), i.highest('close', 250)],
  lowest: [i.lowest('low', 1), i.lowest('low', 10), i.lowest('close', 250)],
  bollinger: [i.bollinger('close'), i.bollinger('close', 20, 2, 'upper'), i.bollinger('close', 50, 1.5, 'lower')],
  macd: [i.macd('close'), i.macd('close', 12, 26, 9, 'signal'), i.macd('close', 5, 35, 5, 'histogram')],
  atr: [i.atr(), i.atr(1), i.atr(50)],
};

const datasets: Array<[string, SeriesInput]> = [
  ['the S&P 500 history', columnsOf(loadSp500())],
  ['a synthetic symbol (unrounded prices)', columnsOf(syntheticUniverse({ seed: 5, symbols: 1, bars: 3000 }).get('SYN000')!)],
];

/** The streaming form fed bar by bar, as the live loop does. */
function streamed(spec: IndicatorSpec, bars: SeriesInput): number[] {
  const live = spec.stream();
  return Array.from({ length: bars.length }, (_, k) =>
    live.update({ open: bars.open[k], high: bars.high[k], low: bars.low[k], close: bars.close[k], volume: bars.volume[k] }),
  );
}

describe.each(datasets)('every SDK indicator on %s', (_what, bars) => {
  const all = Object.values(samples).flat();

  it.each(all.map((spec) => [spec.key, spec]))('%s: the batch series equals the streaming values bar for bar', (_key, spec) => {
    expect(Array.from(spec.batch(bars))).toEqual(streamed(spec, bars));
  });

  it.each(all.map((spec) => [spec.key, spec]))('%s: its first value is at bar warmup - 1', (_key, spec) => {
    const series = spec.batch(bars);
    expect(series.findIndex((v) => !Number.isNaN(v))).toBe(spec.warmup - 1);
  });
});

describe('indicator declarations', () => {
  it('refuses bad arguments where they are declared', () => {
    expect(() => i.sma('close', 0)).toThrow('period must be a whole number >= 1, got 0');
    expect(() => i.roc('price' as 'close', 5)).toThrow('source must be one of open, high, low, close, volume, got "price"');
    expect(() => i.bollinger('close', 20, -1)).toThrow('multiplier must be a number above 0, got -1');
    expect(() => i.macd('close', 26, 12)).toThrow('fast must be shorter than slow, got 26 and 12');
  });

  it('names equal computations with equal keys, so a grid shares their series', () => {
    expect(i.roc('close', 120).key).toBe(i.roc('close', 120).key);
    expect(new Set([i.sma('close', 20).key, i.ema('close', 20).key, i.sma('open', 20).key, i.sma('close', 21).key]).size).toBe(4);
  });
});
