import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { openMarket, type Market, type MarketOptions, type VenuePoller } from './universe';

/** A local venue on 127.0.0.1 whose answer each test sets: the documented formats, or failures. */
class FakeVenue {
  handler: (url: URL, res: ServerResponse) => void = (_url, res) => res.end('[]');
  readonly requests: URL[] = [];
  private server!: Server;
  private readonly hung = new Set<ServerResponse>();
  url = '';

  async start() {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url!, 'http://127.0.0.1');
      this.requests.push(url);
      this.hung.add(res);
      res.on('close', () => this.hung.delete(res));
      this.handler(url, res);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop() {
    for (const res of this.hung) res.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const day = 86_400_000;
const t0 = Date.UTC(2024, 0, 1);
/** A Binance kline row: [openTime, open, high, low, close, volume, closeTime, quoteVolume, trades, ...] with prices as strings. */
const kline = (i: number, close: number, interval = day) => [t0 + i * interval, '100.0', String(close + 5), '95.0', String(close), '12.5', t0 + (i + 1) * interval - 1, '1250', 42, '6', '600', '0'];
const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

const marketOptions = (provider: 'binance' | 'alphavantage', url: string, now: () => number): MarketOptions => ({
  provider,
  replay: { barsPerSecond: 1, startDate: '2000-01-03', startedAt: 0, now },
  synthetic: { seed: 1, symbols: 0 },
  binance: { baseUrl: url, symbols: ['BTCUSDT'], interval: '1d' },
  alphavantage: { baseUrl: url, apiKey: 'demo-key', symbols: ['IBM'] },
  venue: { pollMs: 60_000, timeoutMs: 1500, maxBytes: 64 * 1024, retryMs: 1000 },
});

describe('Binance through the hub (GET /api/v3/klines)', () => {
  const venue = new FakeVenue();
  let now = t0 + 3 * day + 3_600_000; // an hour into the fourth day: its kline is still forming
  let market: Market;
  let poller: VenuePoller;
  beforeAll(async () => {
    await venue.start();
    market = openMarket(marketOptions('binance', venue.url, () => now));
    poller = market.poller!;
  });
  afterAll(async () => {
    market.stop();
    await venue.stop();
  });

  it('serves closed klines only, with metadata; ready once it has data', async () => {
    expect(market.hub.status()).toEqual({ symbols: 1, withData: 0, stale: [] });
    venue.handler = (url, res) => json(res, 200, [0, 1, 2, 3].map((i) => kline(i, 100 + i)).filter((k) => Number(k[0]) >= Number(url.searchParams.get('startTime') ?? 0)));
    expect(await poller.poll('BTCUSDT')).toBe(60_000);
    expect(venue.requests.at(-1)!.searchParams.get('interval')).toBe('1d');
    expect(market.hub.bars('BTCUSDT', {})!.map((b) => b.close)).toEqual([100, 101, 102]);
    expect(market.hub.symbolInfo()).toEqual([
      { symbol: 'BTCUSDT', name: 'BTCUSDT', source: 'binance', interval: '1d', intervals: ['1d', '1w', '1M'], firstDate: '2024-01-01', lastDate: '2024-01-03', stale: false },
    ]);
    // The next poll resumes from the newest bar rather than fetching the history again.
    now += day;
    await poller.poll('BTCUSDT');
    expect(venue.requests.at(-1)!.searchParams.get('startTime')).toBe(String(t0 + 2 * day));
    expect(market.hub.quote('BTCUSDT')!.price).toBe(103);
  });

  it.each([
    ['a 5xx', (res: ServerResponse) => json(res, 503, { code: -1003, msg: 'Service unavailable' }), /binance: HTTP 503 from \/api\/v3\/klines/],
    ['a body that is not JSON', (res: ServerResponse) => json(res, 200, '<html>maintenance</html>'), /binance: response from \/api\/v3\/klines is not JSON/],
    ['rows that are not klines', (res: ServerResponse) => json(res, 200, [['x', 'y']]), /binance: kline row is not/],
    ['a kline with a negative price', (res: ServerResponse) => json(res, 200, [[t0 + 4 * day, '-1', '2', '1', '1', '1', 0]]), /binance: bad bar for BTCUSDT/],
    ['a body over the size bound', (res: ServerResponse) => json(res, 200, `[${'1,'.repeat(64 * 1024)}1]`), /larger than 65536 bytes/],
    ['no answer (timeout)', () => undefined, /binance: no complete answer from \/api\/v3\/klines within 1500 ms/],
  ])('keeps the last good bars and marks the symbol stale on %s, retrying with backoff', async (_what, answer, error) => {
    venue.handler = (_url, res) => answer(res);
    const before = market.hub.bars('BTCUSDT', {});
    // Each poll ends: on no answer at the 1.5 s timeout, which the error names.
    const first = await poller.poll('BTCUSDT');
    const second = await poller.poll('BTCUSDT');
    expect(second).toBe(first * 2);
    expect(market.hub.bars('BTCUSDT', {})).toEqual(before);
    expect(market.hub.quote('BTCUSDT')!.price).toBe(103);
    const [info] = market.hub.symbolInfo();
    expect(info.stale).toBe(true);
    expect(info.error).toMatch(error);
    expect(market.hub.status().stale).toEqual([{ symbol: 'BTCUSDT', error: info.error }]);
    // The venue comes back: fresh again, and the failure count starts over.
    venue.handler = (_url, res) => json(res, 200, [3, 4].map((i) => kline(i, 100 + i)));
    expect(await poller.poll('BTCUSDT')).toBe(60_000);
    expect(market.hub.symbolInfo()[0].stale).toBe(false);
  });
});

describe('Alpha Vantage through the hub (TIME_SERIES_DAILY)', () => {
  const venue = new FakeVenue();
  const now = Date.UTC(2024, 0, 5, 12);
  let market: Market;
  beforeAll(async () => {
    await venue.start();
    market = openMarket(marketOptions('alphavantage', venue.url, () => now));
  });
  afterAll(async () => {
    market.stop();
    await venue.stop();
  });

  const daily = (dates: string[]) => ({
    'Meta Data': { '2. Symbol': 'IBM' },
    'Time Series (Daily)': Object.fromEntries(dates.map((d, i) => [d, { '1. open': '160.0', '2. high': '162.0', '3. low': '159.0', '4. close': String(160 + i), '5. volume': '4152389' }])),
  });

  it('polls on start, reports failures as stale (Note, Error Message, 5xx) and recovers', async () => {
    venue.handler = (url, res) => {
      expect(url.searchParams.get('function')).toBe('TIME_SERIES_DAILY');
      json(res, 200, daily(['2024-01-03', '2024-01-02', '2024-01-05']));
    };
    market.start();
    await waitFor(() => market.hub.status().withData === 1);
    // 2024-01-05 is still trading at noon: only the closed days.
    expect(market.hub.bars('IBM', {})!.map((b) => b.close)).toEqual([161, 160]);
    expect(venue.requests[0].searchParams.get('outputsize')).toBe('full');
    market.stop();

    const poller = market.poller!;
    for (const [body, status, error] of [
      [{ Note: 'Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute.' }, 200, /alphavantage: Thank you for using Alpha Vantage/],
      [{ 'Error Message': 'Invalid API call. Please retry or visit the documentation.' }, 200, /alphavantage: Invalid API call/],
      [{ 'Meta Data': {} }, 200, /alphavantage: response has no 'Time Series \(Daily\)'/],
      ['Bad gateway', 502, /alphavantage: HTTP 502 from \/query: Bad gateway/],
    ] as const) {
      venue.handler = (_url, res) => json(res, status, body);
      await poller.poll('IBM');
      expect(market.hub.symbolInfo()[0]).toMatchObject({ stale: true, error: expect.stringMatching(error), lastDate: '2024-01-03' });
    }
    expect(venue.requests.at(-1)!.searchParams.get('outputsize')).toBe('compact');
    venue.handler = (_url, res) => json(res, 200, daily(['2024-01-04']));
    await poller.poll('IBM');
    expect(market.hub.symbolInfo()[0]).toMatchObject({ stale: false, lastDate: '2024-01-04' });
    market.stop();
  });
});

// The deadline turns a hang into a message before Jest's timeout; it bounds no product speed.
async function waitFor(condition: () => boolean, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Binance kline WebSocket stream through the hub', () => {
  it('releases closed klines pushed between polls, skips malformed messages and reopens a stream that ends', async () => {
    const venue = new FakeVenue();
    await venue.start();
    venue.handler = (_url, res) => json(res, 200, [kline(0, 100)]);
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.on('listening', resolve));
    const paths: string[] = [];
    const sockets: WebSocket[] = [];
    wss.on('connection', (socket, req) => {
      paths.push(req.url!);
      sockets.push(socket);
    });
    const event = (i: number, closed: boolean) => JSON.stringify({ stream: 'btcusdt@kline_1d', data: { e: 'kline', E: 0, s: 'BTCUSDT', k: { t: t0 + i * day, T: t0 + (i + 1) * day - 1, s: 'BTCUSDT', i: '1d', o: '100', h: '120', l: '90', c: String(100 + i), v: '5', x: closed } } });
    const warnings: string[] = [];
    const options = marketOptions('binance', venue.url, () => t0 + 10 * day);
    const market = openMarket({
      ...options,
      binance: { ...options.binance, streamUrl: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` },
      venue: { ...options.venue, retryMs: 50 },
      log: { warn: (details) => warnings.push(String((details as { err: string }).err)) },
    });
    try {
      market.start();
      await waitFor(() => sockets.length === 1 && market.hub.status().withData === 1);
      expect(paths).toEqual(['/stream?streams=btcusdt@kline_1d']);
      sockets[0].send(event(1, false)); // still forming: not released
      sockets[0].send('{"not": "a kline"');
      sockets[0].send(event(1, true));
      await waitFor(() => market.hub.quote('BTCUSDT')?.price === 101);
      expect(market.hub.bars('BTCUSDT', {})!.map((b) => b.close)).toEqual([100, 101]);
      expect(warnings[0]).toMatch(/binance: stream message is not a kline event/);
      // The venue drops the stream: it is opened again after the backoff, and pushes go on.
      sockets[0].terminate();
      await waitFor(() => sockets.length === 2);
      sockets[1].send(event(2, true));
      await waitFor(() => market.hub.quote('BTCUSDT')?.price === 102);
      expect(warnings).toContainEqual(expect.stringMatching(/binance: stream closed/));
    } finally {
      market.stop();
      await new Promise((resolve) => wss.close(resolve));
      await venue.stop();
    }
  });
});
