import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { barSchema, isoDate, type Bar } from './bar';
import { bundledProvider, loadStocks } from './bundled';
import { BarImportError, importBars } from './import';
import { resample } from './resample';
import { syntheticProvider } from './synthetic';
import { AlphaVantageProvider, BinanceProvider, VenueError } from './venues';

const fixture = (name: string) => readFileSync(join(__dirname, '__fixtures__', name), 'utf8');

describe('bundled provider', () => {
  it('serves SPX and the five monthly stocks, price-only rows as flat bars', async () => {
    const provider = bundledProvider('all');
    expect((await provider.symbols()).sort()).toEqual(['AAPL', 'AMZN', 'GOOG', 'IBM', 'MSFT', 'SPX']);
    const ibm = await provider.history('IBM');
    expect(ibm[0]).toEqual({ symbol: 'IBM', time: Date.UTC(2000, 0, 1), open: 100.52, high: 100.52, low: 100.52, close: 100.52, volume: 0 });
    expect(loadStocks().every((b) => barSchema.safeParse(b).success)).toBe(true);
    const year2001 = await provider.history('SPX', { from: Date.UTC(2001, 0, 1), to: Date.UTC(2001, 11, 31) });
    expect(isoDate(year2001[0].time)).toBe('2001-01-02');
    expect(isoDate(year2001.at(-1)!.time)).toBe('2001-12-31');
    await expect(provider.history('NOPE')).rejects.toThrow('bundled:all has no symbol NOPE');
  });

  it('resamples SPX daily bars to months', async () => {
    const monthly = await bundledProvider('sp500').history('SPX', { from: Date.UTC(2000, 0, 1), to: Date.UTC(2000, 1, 29), interval: '1M' });
    const days = (await bundledProvider('sp500').history('SPX')).filter((b) => b.time < Date.UTC(2000, 1, 1));
    expect(monthly).toHaveLength(2);
    expect(monthly[0]).toEqual({
      symbol: 'SPX',
      time: Date.UTC(2000, 0, 1),
      open: days[0].open,
      high: Math.max(...days.map((d) => d.high)),
      low: Math.min(...days.map((d) => d.low)),
      close: days.at(-1)!.close,
      volume: days.reduce((s, d) => s + d.volume, 0),
    });
  });
});

describe('resample', () => {
  it('starts weeks on Monday and sums volume', () => {
    const day = (d: number, close: number): Bar => ({ symbol: 'X', time: Date.UTC(2024, 0, d), open: close, high: close + 1, low: close - 1, close, volume: 10 });
    // 2024-01-05 is a Friday, 2024-01-08 a Monday.
    const weeks = resample([day(4, 10), day(5, 11), day(8, 12), day(9, 9)], '1w');
    expect(weeks.map((w) => [isoDate(w.time), w.open, w.high, w.low, w.close, w.volume])).toEqual([
      ['2024-01-01', 10, 12, 9, 11, 20],
      ['2024-01-08', 12, 13, 8, 9, 20],
    ]);
  });
});

describe('synthetic universe', () => {
  it('gives the same valid bars for the same seed, different ones for another', async () => {
    const a = syntheticProvider({ seed: 7, symbols: 500, bars: 50 });
    const b = syntheticProvider({ seed: 7, symbols: 500, bars: 50 });
    const symbols = await a.symbols();
    expect(symbols).toHaveLength(500);
    expect(symbols[0]).toBe('SYN000');
    expect(symbols[499]).toBe('SYN499');
    expect(await a.history('SYN123')).toEqual(await b.history('SYN123'));
    expect(await a.history('SYN123')).not.toEqual(await a.history('SYN124'));
    expect(await syntheticProvider({ seed: 8, symbols: 1, bars: 50 }).history('SYN000')).not.toEqual(await a.history('SYN000'));
    const bars = await a.history('SYN042');
    expect(bars.every((bar) => barSchema.safeParse(bar).success && bar.volume > 0)).toBe(true);
    expect(bars.slice(1).every((bar, i) => bar.open === bars[i].close)).toBe(true);
  });

  it('moves together on a common market factor, on a given trading calendar', async () => {
    const times = [Date.UTC(2000, 0, 3), Date.UTC(2000, 0, 4), Date.UTC(2000, 0, 6)];
    expect((await syntheticProvider({ seed: 3, symbols: 2, bars: 0, times }).history('SYN001')).map((b) => b.time)).toEqual(times);
    const universe = syntheticProvider({ seed: 3, symbols: 40, bars: 500 });
    const returns = await Promise.all(
      (await universe.symbols()).map(async (s) => (await universe.history(s)).map((b) => Math.log(b.close / b.open))),
    );
    const correlation = (x: number[], y: number[]) => {
      const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
      const [mx, my] = [mean(x), mean(y)];
      let [sxy, sxx, syy] = [0, 0, 0];
      for (let i = 0; i < x.length; i++) [sxy, sxx, syy] = [sxy + (x[i] - mx) * (y[i] - my), sxx + (x[i] - mx) ** 2, syy + (y[i] - my) ** 2];
      return sxy / Math.sqrt(sxx * syy);
    };
    const pairs = returns.slice(1).map((r, i) => correlation(returns[i], r));
    const average = pairs.reduce((a, b) => a + b, 0) / pairs.length;
    // Correlation 0.5 with the market factor gives pairs about 0.25; independent walks about 0.
    expect(average).toBeGreaterThan(0.15);
    expect(average).toBeLessThan(0.35);
  });
});

describe('importing user bars', () => {
  it('loads CSV in any column order with ISO or ms times', () => {
    const bars = importBars('time,symbol,open,high,low,close,volume\n2024-01-02,ACME,10,11,9,10.5,100\n1704240000000,ACME,10.5,12,10,11,50\n', 'acme.csv');
    expect(bars).toEqual([
      { symbol: 'ACME', time: Date.UTC(2024, 0, 2), open: 10, high: 11, low: 9, close: 10.5, volume: 100 },
      { symbol: 'ACME', time: Date.UTC(2024, 0, 3), open: 10.5, high: 12, low: 10, close: 11, volume: 50 },
    ]);
  });

  it('fails the whole CSV import, naming file, line and field of every bad row', () => {
    const text = 'symbol,time,open,high,low,close,volume\nACME,2024-01-02,10,11,9,10.5,100\nACME,2024-01-03,10,abc,9,10,5\nACME,yesterday,10,11,9,10,5\nACME,2024-01-05,10,11,9,10\n';
    let error: BarImportError | undefined;
    try {
      importBars(text, 'acme.csv');
    } catch (e) {
      error = e as BarImportError;
    }
    expect(error).toBeInstanceOf(BarImportError);
    expect(error!.issues.map((i) => [i.file, i.line, i.field])).toEqual([
      ['acme.csv', 3, 'high'],
      ['acme.csv', 4, 'time'],
      ['acme.csv', 5, 'row'],
    ]);
    expect(error!.message).toContain('acme.csv:4: time cannot read "yesterday" as a date or time');
    expect(() => importBars('symbol,time,open\n', 'x.csv')).toThrow('x.csv:1: high column is missing from the header');
  });

  it('checks JSONL rows the same way, including OHLC consistency', () => {
    const good = '{"symbol":"ACME","time":"2024-01-02","open":10,"high":11,"low":9,"close":10,"volume":1}';
    expect(importBars(`${good}\n`, 'a.jsonl')).toHaveLength(1);
    expect(() => importBars(`${good}\n{"symbol":"ACME","time":"2024-01-03","open":10,"high":9,"low":8,"close":10,"volume":1}\nnot json\n`, 'a.jsonl')).toThrow(
      /^a\.jsonl:2: high high must be the highest.*\na\.jsonl:3: row is not valid JSON/s,
    );
  });
});

describe('venue providers against recorded payloads on a local server', () => {
  let server: Server;
  let base: string;
  const requests: URL[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push(url);
      res.setHeader('content-type', 'application/json');
      if (url.pathname === '/api/v3/klines' && url.searchParams.get('symbol') === 'BTCUSDT') res.end(fixture('binance-klines-BTCUSDT-1d.json'));
      else if (url.pathname === '/api/v3/klines') res.writeHead(400).end('{"code":-1121,"msg":"Invalid symbol."}');
      else if (url.pathname === '/query' && url.searchParams.get('apikey') === 'demo-key') res.end(fixture('alphavantage-daily-IBM.json'));
      else res.end('{"Error Message": "the parameter apikey is invalid or missing."}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('Binance REST klines', async () => {
    const provider = new BinanceProvider({ baseUrl: base, symbols: ['BTCUSDT'] });
    const bars = await provider.history('BTCUSDT', { interval: '1d', from: 1704067200000 });
    expect(requests.at(-1)!.search).toBe('?symbol=BTCUSDT&interval=1d&limit=1000&startTime=1704067200000');
    expect(bars).toHaveLength(3);
    expect(bars[0]).toEqual({ symbol: 'BTCUSDT', time: 1704067200000, open: 42283.58, high: 44184.1, low: 42180.77, close: 44179.55, volume: 27174.29903 });
    await expect(provider.history('NOPE')).rejects.toThrow('binance: HTTP 400 from /api/v3/klines: {"code":-1121,"msg":"Invalid symbol."}');
  });

  it('Binance WebSocket kline events', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    const paths: string[] = [];
    wss.on('connection', (socket, req) => {
      paths.push(req.url ?? '');
      const closed = JSON.parse(fixture('binance-kline-event.json'));
      const open = { ...closed, k: { ...closed.k, x: false } };
      socket.send(JSON.stringify({ stream: 'btcusdt@kline_1d', data: open }));
      socket.send(JSON.stringify({ stream: 'btcusdt@kline_1d', data: closed }));
    });
    await new Promise((r) => wss.on('listening', r));
    const provider = new BinanceProvider({ baseUrl: base, streamUrl: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, symbols: ['BTCUSDT'] });
    const bar = await new Promise<Bar>((resolve) => {
      const stop = provider.subscribe(['BTCUSDT'], (b) => (stop(), resolve(b)), '1d');
    });
    expect(paths).toEqual(['/stream?streams=btcusdt@kline_1d']);
    expect(bar).toEqual({ symbol: 'BTCUSDT', time: 1704067200000, open: 42283.58, high: 44184.1, low: 42180.77, close: 44179.55, volume: 27174.29903 });
    await new Promise((r) => wss.close(r));
  });

  it('Alpha Vantage TIME_SERIES_DAILY, oldest first, key from configuration', async () => {
    const provider = new AlphaVantageProvider({ baseUrl: base, apiKey: 'demo-key', symbols: ['IBM'] });
    const bars = await provider.history('IBM');
    expect(requests.at(-1)!.search).toBe('?function=TIME_SERIES_DAILY&symbol=IBM&outputsize=full&apikey=demo-key');
    expect(bars.map((b) => [isoDate(b.time), b.open, b.high, b.low, b.close, b.volume])).toEqual([
      ['2024-01-02', 162.83, 163.29, 160.5, 161.5, 3825045],
      ['2024-01-03', 161, 161.73, 160.08, 160.1, 4086961],
      ['2024-01-04', 160.75, 161.91, 160.38, 161.1, 4152389],
    ]);
    const bad = new AlphaVantageProvider({ baseUrl: base, apiKey: 'wrong', symbols: ['IBM'] });
    await expect(bad.history('IBM')).rejects.toThrow(new VenueError('alphavantage', 'the parameter apikey is invalid or missing.'));
  });
});
