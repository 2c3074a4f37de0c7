import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { MarketHub, type SymbolFeed } from './market-hub';
import { ReplayClock } from './replay-clock';

const spx = loadSp500();
const day = (i: number) => isoDate(spx[i].time);

describe('MarketHub bars on a daily replay clock', () => {
  // The clock stands on Wednesday 2000-01-12 (index 7): two days of that week are released.
  let now = 0;
  const feeds: SymbolFeed[] = [{ symbol: 'SPX', name: 'S&P 500 index', source: 'replay:sp500', interval: '1d', bars: spx }];
  const clock = new ReplayClock(feeds, { barsPerSecond: 1, startDate: day(7), startedAt: 0, now: () => now });
  const hub = new MarketHub(feeds, () => clock.time(), { step: '1d' });

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

describe('MarketHub release of bars coarser than the clock step', () => {
  // A monthly bar (the bundled stocks) opens on the 1st but closes at the month's end: its close is
  // not visible on the days before, only once the clock's day ends with the month.
  const month = (m: number) => Date.UTC(2000, m, 1);
  const feeds: SymbolFeed[] = [
    { symbol: 'MON', name: 'monthly', source: 'test', interval: '1M', bars: [0, 1].map((m) => ({ symbol: 'MON', time: month(m), open: 1, high: 2, low: 1, close: 1.5 + m, volume: 1 })) },
  ];
  let time = Date.UTC(2000, 0, 3);
  const hub = new MarketHub(feeds, () => time, { step: '1d' });

  it('releases a monthly bar on the last day of its month, not on its first', () => {
    expect(hub.bars('MON', {})).toEqual([]);
    expect(hub.quote('MON')).toBeUndefined();
    time = Date.UTC(2000, 0, 30);
    expect(hub.bars('MON', {})).toEqual([]);
    time = Date.UTC(2000, 0, 31);
    expect(hub.bars('MON', {})!.map((b) => b.close)).toEqual([1.5]);
    time = Date.UTC(2000, 1, 15);
    expect(hub.quote('MON')).toMatchObject({ price: 1.5, date: '2000-01-01' });
  });

  it('releases a bar only once it has closed on a live clock (no step)', () => {
    let now = month(1) - 1;
    const live = new MarketHub(feeds, () => now);
    expect(live.bars('MON', {})).toEqual([]);
    now = month(1);
    expect(live.bars('MON', {})!.map((b) => b.close)).toEqual([1.5]);
  });
});
