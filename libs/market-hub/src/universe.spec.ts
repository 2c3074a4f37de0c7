import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnsupportedIntervalError } from './market-hub';
import { openMarket, type MarketOptions } from './universe';

const spx = loadSp500();
const options = (overrides: Partial<MarketOptions> & { now: () => number }): MarketOptions => ({
  provider: 'replay',
  replay: { barsPerSecond: 1, startDate: '2000-01-03', startedAt: 0, now: overrides.now },
  synthetic: { seed: 1, symbols: 100 },
  binance: { baseUrl: 'http://127.0.0.1:9', symbols: [], interval: '1h' },
  alphavantage: { baseUrl: 'http://127.0.0.1:9', symbols: [] },
  venue: { pollMs: 1000, timeoutMs: 1000 },
  ...overrides,
});

describe('the replay universe on one clock', () => {
  let now = 0;
  const dir = mkdtempSync(join(tmpdir(), 'hub-files-'));
  writeFileSync(join(dir, 'acme.csv'), 'symbol,time,open,high,low,close,volume\nACME,2000-01-04,10,11,9,10.5,100\nACME,2000-01-06,10.5,12,10,11,50\n');
  writeFileSync(join(dir, 'weekly.jsonl'), ['2000-01-03', '2000-01-10', '2000-01-17'].map((time, i) => JSON.stringify({ symbol: 'WKLY', time, open: 5, high: 6 + i, low: 4, close: 5.5, volume: 1 })).join('\n'));
  const { hub } = openMarket(options({ now: () => now, filesDir: dir }));

  it('lists SPX, the bundled stocks, 100 synthetic symbols and the user files, with metadata as of the clock', () => {
    const info = hub.symbolInfo();
    expect(info).toHaveLength(1 + 5 + 100 + 2);
    expect(info.find((s) => s.symbol === 'SPX')).toEqual({
      symbol: 'SPX', name: 'S&P 500 index', source: 'replay:sp500', interval: '1d', intervals: ['1d', '1w', '1M'],
      firstDate: '2000-01-03', lastDate: '2000-01-03', stale: false,
    });
    expect(info.find((s) => s.symbol === 'IBM')).toMatchObject({ source: 'replay:stocks', interval: '1M', intervals: ['1M'], firstDate: null, lastDate: null });
    expect(info.find((s) => s.symbol === 'SYN099')).toMatchObject({ source: 'synthetic:1', interval: '1d', firstDate: '2000-01-03' });
    expect(info.find((s) => s.symbol === 'ACME')).toMatchObject({ source: 'file:acme.csv', interval: '1d', firstDate: null, lastDate: null });
    expect(info.find((s) => s.symbol === 'WKLY')).toMatchObject({ source: 'file:weekly.jsonl', interval: '1w', intervals: ['1w'] });
  });

  it('moves every symbol on the same clock; one without a bar at the date keeps its last, monthly ones move monthly', () => {
    hub.tick();
    now = 2000; // two steps on: 2000-01-05
    const moved = new Set(hub.tick().filter((e) => e.channel === 'quotes').map((e) => e.data.symbol));
    expect(moved.has('SPX') && moved.has('SYN000') && moved.has('ACME')).toBe(true);
    expect(moved.has('IBM')).toBe(false);
    expect(hub.quote('ACME')!.date).toBe('2000-01-04');
    expect(hub.quote('SYN042')!.date).toBe('2000-01-05');
    now = 3000; // 2000-01-06: ACME has a new bar
    expect(hub.quote('ACME')!.price).toBe(11);
    now = 25_000; // into February: the stocks' January bar has closed and is released
    const events = hub.tick();
    expect(events.filter((e) => e.channel === 'bars' && e.data.symbol === 'IBM').map((e) => isoDate(e.data.time))).toEqual(['2000-01-01']);
    expect(hub.quote('SPX')!.date).toBe(isoDate(hub.time()));
  });

  it('feeds the broker the current bar, never one after the clock', () => {
    const bar = hub.bar('SYN007')!;
    expect(bar.time).toBeLessThanOrEqual(hub.time());
    expect(hub.bars('SYN007', { limit: 1 })).toEqual([bar]);
    expect(hub.bars('SPX', { from: '2019-01-01' })).toEqual([]);
  });

  it('rejects an interval a symbol cannot give, saying which it can', () => {
    expect(() => hub.bars('IBM', { interval: '1d' })).toThrow(new UnsupportedIntervalError('IBM', '1d', ['1M']));
    expect(() => hub.bars('SPX', { interval: '1h' })).toThrow('SPX has no 1h bars; available intervals: 1d, 1w, 1M');
    expect(hub.bars('IBM', {})!.map((b) => isoDate(b.time))).toEqual(['2000-01-01']);
  });

  // What a tick costs is tools/bench/market-hub.ts's to measure; here, what it gives.
  it('ticks 108 symbols: a tick with nothing new gives no bars, a step gives every moving symbol one', () => {
    const rounds = 200;
    for (let i = 0; i < rounds; i++) expect(hub.tick().filter((e) => e.channel === 'bars')).toEqual([]);
    let bars = 0;
    for (let i = 0; i < rounds; i++) {
      now += 1000;
      bars += hub.tick().filter((e) => e.channel === 'bars').length;
    }
    expect(bars).toBeGreaterThanOrEqual(rounds * 101); // SPX and 100 synthetic symbols move each step
  });
});

describe('other providers', () => {
  it('synthetic: the seeded universe alone, same bars for the same seed', () => {
    const a = openMarket(options({ provider: 'synthetic', synthetic: { seed: 5, symbols: 3 }, now: () => 10_000 })).hub;
    const b = openMarket(options({ provider: 'synthetic', synthetic: { seed: 5, symbols: 3 }, now: () => 10_000 })).hub;
    expect(a.symbols()).toEqual(['SYN000', 'SYN001', 'SYN002']);
    expect(a.bars('SYN001', {})).toEqual(b.bars('SYN001', {}));
    expect(a.quote('SYN001')!.date).toBe(isoDate(spx[10].time));
  });

  it('files: the folder alone; a folder without bar files is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-files-'));
    expect(() => openMarket(options({ provider: 'files', filesDir: dir, now: () => 0 }))).toThrow(`${dir} holds no .csv or .jsonl bar files`);
    writeFileSync(join(dir, 'a.csv'), 'symbol,time,open,high,low,close,volume\nAAA,2024-01-02,1,1,1,1,1\n');
    expect(openMarket(options({ provider: 'files', filesDir: dir, now: () => 0 })).hub.symbols()).toEqual(['AAA']);
  });
});
