// Over the bundled S&P 500 history (market-data): a project of its own, so that indicators has no
// market-data dependency in the Nx graph that only its tests need.
import { loadSp500 } from '@tradeyard/market-data';
import { EMA, MACD } from 'technicalindicators';
import { ATR, BollingerBands, DonchianChannels, RSI, SMA, VWAP } from 'trading-signals';
import { Atr, Bollinger, Ema, Highest, Lowest, Macd, Rsi, Sma, VolumeSma, Vwap } from '@tradeyard/indicators';

/*
 * Each indicator against an independent implementation over the whole S&P 500 history, bar by bar.
 * Reference choice: trading-signals (v8) streams full-precision values and its SMA, RSI (Wilder,
 * simple-average seed), Bollinger (population deviation), ATR (Wilder), VWAP and Donchian channels
 * follow the same definitions as ours. Its EMA seeds with the first price instead of the SMA of the
 * first N, so EMA and MACD are checked against technicalindicators, whose EMA is SMA-seeded and
 * which does not round EMA/MACD (it rounds RSI and a few others, which is why those use trading-signals).
 */
const bars = loadSp500();
type Maybe = number | undefined | null;

/** Same warm-up (undefined exactly where the reference has nothing yet), then 1e-9 relative. */
function expectMatches(ours: Maybe[], reference: Maybe[]) {
  expect(ours).toHaveLength(reference.length);
  let compared = 0;
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i];
    const b = reference[i];
    if (b === null || b === undefined) {
      if (a !== undefined) throw new Error(`bar ${i}: ours ${a} during the reference's warm-up`);
      continue;
    }
    if (a === undefined || a === null) throw new Error(`bar ${i}: ours undefined, reference ${b}`);
    const rel = Math.abs(a - b) / Math.max(1e-12, Math.abs(b));
    if (rel > 1e-9) throw new Error(`bar ${i}: ours ${a}, reference ${b}, relative error ${rel}`);
    compared++;
  }
  expect(compared).toBeGreaterThan(bars.length - 250);
}

/** Lines up a technicalindicators result array (which omits the warm-up) with the bars. */
const padded = (values: number[]): Maybe[] => [...Array(bars.length - values.length).fill(undefined), ...values];

describe('indicators match an independent library on the S&P 500 series', () => {
  it.each([5, 20, 50, 200])('SMA(%i) vs trading-signals SMA', (period) => {
    const ours = new Sma(period);
    const ref = new SMA(period);
    expectMatches(
      bars.map((b) => ours.update(b.close)),
      bars.map((b) => ref.update(b.close, false)),
    );
  });

  it.each([10, 20, 50])('EMA(%i) vs technicalindicators EMA', (period) => {
    const ours = new Ema(period);
    expectMatches(
      bars.map((b) => ours.update(b.close)),
      padded(EMA.calculate({ period, values: bars.map((b) => b.close) })),
    );
  });

  it.each([2, 14, 30])('RSI(%i) vs trading-signals RSI (Wilder)', (period) => {
    const ours = new Rsi(period);
    const ref = new RSI(period);
    expectMatches(
      bars.map((b) => ours.update(b.close)),
      bars.map((b) => ref.update(b.close, false)),
    );
  });

  it('MACD(12,26,9) line, signal and histogram vs technicalindicators MACD (EMA oscillator and signal)', () => {
    const ours = new Macd(12, 26, 9);
    const rows = bars.map((b) => {
      ours.update(b.close);
      return { line: ours.line, signal: ours.signal, histogram: ours.histogram };
    });
    const ref = MACD.calculate({
      values: bars.map((b) => b.close),
      fastPeriod: 12,
      slowPeriod: 26,
      signalPeriod: 9,
      SimpleMAOscillator: false,
      SimpleMASignal: false,
    });
    const refRows = [...Array(bars.length - ref.length).fill({}), ...ref] as { MACD?: number; signal?: number; histogram?: number }[];
    expectMatches(
      rows.map((r) => r.line),
      refRows.map((r) => r.MACD),
    );
    expectMatches(
      rows.map((r) => r.signal),
      refRows.map((r) => r.signal),
    );
    expectMatches(
      rows.map((r) => r.histogram),
      refRows.map((r) => r.histogram),
    );
  });

  it('Bollinger(20, 2) bands vs trading-signals BollingerBands', () => {
    const ours = new Bollinger(20, 2);
    const ref = new BollingerBands(20, 2);
    const rows = bars.map((b) => {
      ours.update(b.close);
      const r = ref.update(b.close, false);
      return { ours: [ours.lower, ours.middle, ours.upper], ref: r ? [r.lower, r.middle, r.upper] : [null, null, null] };
    });
    for (const band of [0, 1, 2])
      expectMatches(
        rows.map((r) => r.ours[band]),
        rows.map((r) => r.ref[band]),
      );
  });

  it('ATR(14) vs trading-signals ATR (Wilder)', () => {
    const ours = new Atr(14);
    const ref = new ATR(14);
    expectMatches(
      bars.map((b) => ours.update(b.high, b.low, b.close)),
      bars.map((b) => ref.update(b, false)),
    );
  });

  it('highest/lowest(20) vs trading-signals DonchianChannels', () => {
    const highest = new Highest(20);
    const lowest = new Lowest(20);
    const ref = new DonchianChannels(20);
    const rows = bars.map((b) => ({ high: highest.update(b.high), low: lowest.update(b.low), ref: ref.update(b, false) }));
    expectMatches(
      rows.map((r) => r.high),
      rows.map((r) => r.ref?.upper),
    );
    expectMatches(
      rows.map((r) => r.low),
      rows.map((r) => r.ref?.lower),
    );
  });

  it('VWAP vs trading-signals VWAP', () => {
    const ours = new Vwap();
    const ref = new VWAP();
    expectMatches(
      bars.map((b) => ours.update(b.high, b.low, b.close, b.volume)),
      bars.map((b) => ref.update(b, false)),
    );
  });

  it('volume SMA(20) vs trading-signals SMA of volume', () => {
    const ours = new VolumeSma(20);
    const ref = new SMA(20);
    expectMatches(
      bars.map((b) => ours.update(b.volume)),
      bars.map((b) => ref.update(b.volume, false)),
    );
  });

  it('rejects bad periods with a clear message', () => {
    expect(() => new Sma(0)).toThrow('period must be a whole number >= 1, got 0');
    expect(() => new Highest(2.5)).toThrow('period must be a whole number >= 1, got 2.5');
    expect(() => new Macd(26, 12)).toThrow('fast period must be shorter than the slow period, got 26 and 12');
  });

  it('highest keeps the right candidate when the maximum leaves the window', () => {
    const h = new Highest(3);
    expect([5, 4, 3, 2, 6, 1, 1, 1].map((v) => h.update(v))).toEqual([undefined, undefined, 5, 4, 6, 6, 6, 1]);
  });
});
