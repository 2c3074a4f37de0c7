import { defaultMarketBars } from './default-market';
import { barSchema, isoDate } from './bar';
import { loadSp500 } from './datasets';

describe('bundled S&P 500 history', () => {
  const bars = loadSp500();

  it('holds every trading day from 2000-01-03 to 2020-04-17', () => {
    expect(bars).toHaveLength(5105);
    expect(isoDate(bars[0].time)).toBe('2000-01-03');
    expect(isoDate(bars[bars.length - 1].time)).toBe('2020-04-17');
  });

  it('parses the first row exactly', () => {
    expect(bars[0]).toEqual({
      symbol: 'SPX',
      time: Date.UTC(2000, 0, 3),
      open: 1469.25,
      high: 1478,
      low: 1438.359985,
      close: 1455.219971,
      volume: 931800000,
    });
  });

  it('is valid and strictly increasing in time', () => {
    for (let i = 0; i < bars.length; i++) {
      expect(barSchema.safeParse(bars[i]).success).toBe(true);
      if (i > 0) expect(bars[i].time).toBeGreaterThan(bars[i - 1].time);
    }
  });
});

describe('defaultMarketBars', () => {
  it('holds the 106 symbols npm start replays, each on its own calendar, the synthetic ones on SPX days', () => {
    const market = defaultMarketBars();
    expect(market.size).toBe(106);
    expect([...market.keys()].slice(0, 7)).toEqual(['SPX', 'AAPL', 'AMZN', 'GOOG', 'IBM', 'MSFT', 'SYN000']);
    const spxDays = market.get('SPX')!.map((b) => b.time);
    expect(market.get('SYN042')!.map((b) => b.time)).toEqual(spxDays);
    expect(market.get('AAPL')!.length).toBeLessThan(200); // monthly
    expect(defaultMarketBars().get('SYN000')).toBe(market.get('SYN000')); // built once per process
  });
});
