import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { MarketHub, type SymbolFeed } from './market-hub';
import { ReplayClock } from './replay-clock';

const spx = loadSp500();
const day = (i: number) => isoDate(spx[i].time);

describe('MarketHub bars', () => {
  // The clock stands on Wednesday 2000-01-12 (index 7): two days of that week are released.
  let now = 0;
  const feeds: SymbolFeed[] = [{ symbol: 'SPX', name: 'S&P 500 index', source: 'replay:sp500', interval: '1d', bars: spx }];
  const clock = new ReplayClock(feeds, { barsPerSecond: 1, startDate: day(7), startedAt: 0, now: () => now });
  const hub = new MarketHub(feeds, () => clock.time());

  it('serves weekly bars from released days, the current week partial up to the clock', () => {
    expect(day(7)).toBe('2000-01-12');
    const weeks = hub.bars('SPX', { interval: '1w' })!;
    expect(weeks.map((b) => isoDate(b.time))).toEqual(['2000-01-03', '2000-01-10']);
    const firstWeek = spx.slice(0, 5);
    expect(weeks[0]).toEqual({
      symbol: 'SPX',
      time: spx[0].time,
      open: spx[0].open,
      high: Math.max(...firstWeek.map((b) => b.high)),
      low: Math.min(...firstWeek.map((b) => b.low)),
      close: spx[4].close,
      volume: firstWeek.reduce((sum, b) => sum + b.volume, 0),
    });
    // Monday to Wednesday only: Thursday's prices are not visible before Thursday is released.
    expect(weeks[1]).toMatchObject({ open: spx[5].open, close: spx[7].close, high: Math.max(...spx.slice(5, 8).map((b) => b.high)) });
    now = 1000;
    expect(hub.bars('SPX', { interval: '1w' })!.at(-1)!.close).toBe(spx[8].close);
  });

  it('serves calendar months, selects by open date and keeps the latest `limit`', () => {
    now = 40_000; // 40 more days released: into March 2000
    const months = hub.bars('SPX', { interval: '1M' })!;
    expect(months.map((b) => isoDate(b.time))).toEqual(['2000-01-01', '2000-02-01', '2000-03-01']);
    expect(months.at(-1)!.close).toBe(spx[47].close);
    expect(hub.bars('SPX', { interval: '1M', from: '2000-02-01', limit: 1 })!.map((b) => isoDate(b.time))).toEqual(['2000-03-01']);
    expect(hub.bars('SPX', { interval: '1d', limit: 2 })).toEqual(spx.slice(46, 48));
  });
});
