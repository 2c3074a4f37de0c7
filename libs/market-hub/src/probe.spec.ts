import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { logReturnMoments, memorizationProbe, PROBE_YEAR_SHIFT, probeFeeds, shiftYears } from './probe';
import { openMarket, type MarketOptions } from './universe';

const spx = loadSp500();
const spxFeed = { symbol: 'SPX' as const, name: 'S&P 500 index', source: 'replay:sp500', interval: '1d' as const, bars: spx };

describe('the memorization probe', () => {
  const { probe, feeds } = probeFeeds(spxFeed, 1);
  const bySymbol = new Map(feeds.map((f) => [f.symbol, f]));
  const disguised = bySymbol.get(probe.disguised)!;
  const synthetic = bySymbol.get(probe.synthetic)!;

  it('names two tickers that do not reveal the original; the seed decides which is synthetic', () => {
    expect(feeds.map((f) => [f.symbol, f.name, f.source, f.interval])).toEqual([
      ['PRBA', 'Probe series A', 'probe', '1d'],
      ['PRBB', 'Probe series B', 'probe', '1d'],
    ]);
    expect(memorizationProbe('SPX', 1)).toEqual({ real: 'SPX', synthetic: 'PRBB', disguised: 'PRBA' });
    expect(memorizationProbe('SPX', 2)).toEqual({ real: 'SPX', synthetic: 'PRBA', disguised: 'PRBB' });
    for (const feed of feeds) expect(JSON.stringify({ ...feed, bars: [] })).not.toMatch(/SPX|S&P|500/);
  });

  it('moves every date 28 years later, keeping the weekday', () => {
    expect(PROBE_YEAR_SHIFT).toBe(28);
    expect(isoDate(disguised.bars[0].time)).toBe('2028-01-03');
    expect(isoDate(disguised.bars.at(-1)!.time)).toBe('2048-04-17');
    // 2000-02-29 is a trading day and 2028 is a leap year too.
    expect(isoDate(shiftYears(Date.UTC(2000, 1, 29), 28))).toBe('2028-02-29');
    spx.forEach((bar, i) => {
      expect(new Date(disguised.bars[i].time).getUTCDay()).toBe(new Date(bar.time).getUTCDay());
      expect(synthetic.bars[i].time).toBe(disguised.bars[i].time);
    });
  });

  it('keeps the real path in the disguised series: the same returns, rescaled to start at 100', () => {
    expect(disguised.bars).toHaveLength(spx.length);
    expect(disguised.bars[0].open).toBeCloseTo(100, 10);
    spx.forEach((bar, i) => {
      expect(disguised.bars[i].close / disguised.bars[0].open).toBeCloseTo(bar.close / spx[0].open, 10);
      expect(disguised.bars[i].high / disguised.bars[i].low).toBeCloseTo(bar.high / bar.low, 10);
      expect(disguised.bars[i].volume).toBe(bar.volume);
    });
  });

  it('gives the synthetic path the real drift and volatility, deterministically for a seed', () => {
    const real = logReturnMoments(spx);
    const made = logReturnMoments(synthetic.bars);
    // One draw of 5,104 returns: the sample sd is within a few percent, the mean within 3 standard errors.
    expect(made.sd / real.sd).toBeGreaterThan(0.95);
    expect(made.sd / real.sd).toBeLessThan(1.05);
    expect(Math.abs(made.mean - real.mean)).toBeLessThan((3 * real.sd) / Math.sqrt(spx.length));
    expect(synthetic.bars[0].open).toBeCloseTo(100, 10);
    // Not the real path.
    expect(synthetic.bars.slice(1, 50).map((b, i) => b.close / synthetic.bars[i].close)).not.toEqual(disguised.bars.slice(1, 50).map((b, i) => b.close / disguised.bars[i].close));
    for (const b of synthetic.bars) expect(b.high >= Math.max(b.open, b.close) && b.low <= Math.min(b.open, b.close) && b.low > 0).toBe(true);
    expect(probeFeeds(spxFeed, 1).feeds).toEqual(feeds);
    expect(probeFeeds(spxFeed, 3).feeds.find((f) => f.symbol === 'PRBB')!.bars[5].close).not.toBe(synthetic.bars[5].close);
  });

  it('is added to the replay universe only when asked for', () => {
    const options = (probe?: 'SPX'): MarketOptions => ({
      provider: 'replay',
      replay: { barsPerSecond: 1, startDate: '2000-01-03', startedAt: 0, now: () => 0 },
      synthetic: { seed: 1, symbols: 0 },
      binance: { baseUrl: 'http://127.0.0.1:9', symbols: [], interval: '1h' },
      alphavantage: { baseUrl: 'http://127.0.0.1:9', symbols: [] },
      venue: { pollMs: 1000, timeoutMs: 1000 },
      probe,
    });
    expect(openMarket(options()).hub.symbols()).not.toContain('PRBA');
    const { hub } = openMarket(options('SPX'));
    expect(hub.symbols()).toEqual(expect.arrayContaining(['SPX', 'PRBA', 'PRBB']));
    expect(hub.symbolInfo().find((s) => s.symbol === 'PRBA')).toMatchObject({ name: 'Probe series A', source: 'probe', interval: '1d' });
  });
});
