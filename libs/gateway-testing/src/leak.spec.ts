import type { GatewayClient, Signal } from '@tradeyard/gateway-contract';
import { type Bar, type Interval, isoDate } from '@tradeyard/market-data';
import WebSocket from 'ws';
import { barLeaks, barsAsOf, datedAfter, LEAK_CLOCK_DATE, leakBarQueries, replayUniverse } from './point-in-time';
import { startTestGateway, type TestGateway } from './test-gateway';
import { waitFor } from './wait';

// The leak suite: every read path of the real gateway, with the market clock paused in the middle
// of the data, must answer as of the clock: no bar, quote or signal dated after it, and no bar
// showing prices the clock has not reached (the rest of the week or month, a monthly bar before
// its month ends). A new read route is one line in `readPaths`.
const universe = replayUniverse(2);
const spx = universe.get('SPX')!.bars;
const clockIndex = spx.findIndex((bar) => isoDate(bar.time) === LEAK_CLOCK_DATE);
const clockTime = spx[clockIndex].time;
const nextDay = spx[clockIndex + 1].time;

const signal = (time: number, id: string): Signal => ({ id, symbol: 'SPX', rule: 'rsi(14) < 30', ruleId: 'rsi-oversold', time, close: 1, values: {} });
const futureSignal = signal(nextDay, 'leak-future');
const presentSignal = signal(clockTime, 'leak-present');

let gateway: TestGateway;
let admin: GatewayClient;
let viewer: GatewayClient;

beforeAll(async () => {
  gateway = await startTestGateway({ startDate: LEAK_CLOCK_DATE, env: { SYNTHETIC_SYMBOLS: '2' } });
  ({ admin, viewer } = await gateway.signedIn());
  expect(await admin.controlClock({ action: 'pause' })).toMatchObject({ state: 'paused', date: LEAK_CLOCK_DATE });
  await gateway.scanner.postSignal(futureSignal);
  await gateway.scanner.postSignal(presentSignal);
  expect(await gateway.client.placeOrder({ symbol: 'SPX', side: 'buy', type: 'market', quantity: 3 })).toMatchObject({ status: 'filled' });
}, 120_000);
afterAll(() => gateway?.close());

/** One line per read path: what it returns, as the viewer (or the trading service for its account). */
const readPaths: [string, () => Promise<unknown>][] = [
  ['GET /clock', () => viewer.getClock()],
  ['GET /symbols', () => viewer.listSymbols()],
  ['GET /quotes', () => viewer.getQuotes()],
  ...[...universe.keys()].map((symbol): [string, () => Promise<unknown>] => [`GET /quotes/${symbol}`, () => viewer.getQuote(symbol)]),
  ...leakBarQueries.map((query): [string, () => Promise<unknown>] => [`GET /bars/SPX ${JSON.stringify(query)}`, () => viewer.getBars('SPX', query)]),
  ['GET /signals', () => viewer.searchSignals()],
  ['GET /signals?from=next day', () => viewer.searchSignals({ from: nextDay })],
  ['GET /signals?to=far future', () => viewer.searchSignals({ to: Date.UTC(2030, 0, 1) })],
  ['GET /signals?symbol&rule', () => viewer.searchSignals({ symbol: 'SPX', rule: 'rsi-oversold' })],
  ['GET /orders', () => gateway.client.getOrders()],
  ['GET /portfolio', () => gateway.client.getPortfolio()],
  ['GET /portfolio/equity', () => gateway.client.getEquity()],
];

describe('every read path answers as of the paused market clock', () => {
  it.each(readPaths)('%s: nothing dated after the clock', async (_name, read) => {
    expect(datedAfter(await read(), clockTime)).toEqual([]);
  });

  // Every symbol, every interval it serves, every query: exactly the bars closed at the clock.
  const barReads = [...universe.values()].flatMap((feed) => {
    const intervals: Interval[] = feed.interval === '1d' ? ['1d', '1w', '1M'] : [feed.interval];
    return intervals.flatMap((interval) => leakBarQueries.map((query) => [feed.symbol, interval, query] as const));
  });
  it.each(barReads)('GET /bars/%s %s %j: only closed bars, the current week or month partial up to the clock', async (symbol, interval, query) => {
    const served = await viewer.getBars(symbol, { ...query, interval });
    const expected = barsAsOf(universe.get(symbol)!, interval, clockTime);
    expect(barLeaks(served, expected)).toEqual([]);
    expect(datedAfter(served, clockTime)).toEqual([]);
  });

  it('shows the bar of the clock day closed, and nothing of the next day', async () => {
    const [last] = await viewer.getBars('SPX', { limit: 1 });
    expect(last).toEqual(spx[clockIndex]);
    expect(await viewer.getQuote('SPX')).toMatchObject({ date: LEAK_CLOCK_DATE, price: spx[clockIndex].close });
  });

  it('builds the unfinished week from Monday to the clock and the unfinished month from its first day to the clock', async () => {
    const week = (await viewer.getBars('SPX', { interval: '1w', limit: 1 }))[0];
    const days = spx.filter((bar) => bar.time >= Date.UTC(2005, 5, 13) && bar.time <= clockTime);
    expect(days.map((bar) => isoDate(bar.time))).toEqual(['2005-06-13', '2005-06-14', '2005-06-15']);
    expect(week).toMatchObject({ time: Date.UTC(2005, 5, 13), open: days[0].open, close: days[2].close, high: Math.max(...days.map((b) => b.high)), low: Math.min(...days.map((b) => b.low)) });
    const month = (await viewer.getBars('SPX', { interval: '1M', limit: 1 }))[0];
    const monthDays = spx.filter((bar) => bar.time >= Date.UTC(2005, 5, 1) && bar.time <= clockTime);
    expect(month).toMatchObject({ time: Date.UTC(2005, 5, 1), close: spx[clockIndex].close, high: Math.max(...monthDays.map((b) => b.high)), low: Math.min(...monthDays.map((b) => b.low)) });
  });

  it('does not show a monthly bar (the bundled stocks) before its month has closed', async () => {
    const [last] = await viewer.getBars('MSFT', { limit: 1 });
    expect(isoDate(last.time)).toBe('2005-05-01');
    expect(await viewer.getQuote('MSFT')).toMatchObject({ date: '2005-05-01', price: last.close });
    expect((await viewer.listSymbols()).find((s) => s.symbol === 'MSFT')).toMatchObject({ lastDate: '2005-05-01' });
  });

  it('serves a signal dated after the clock only once the clock reaches it', async () => {
    expect((await viewer.searchSignals()).map((s) => s.id)).toEqual(['leak-present']);
  });

  it('stamps equity points with the market time of the fills, so the equity history lines up with them', async () => {
    const equity = await gateway.client.getEquity();
    expect(equity.map((point) => isoDate(point.time))).toEqual([LEAK_CLOCK_DATE, LEAK_CLOCK_DATE]);
  });
});

describe('the WebSocket streams as of the clock', () => {
  it('streams the next bar and quote only when the clock steps to it, and no signal dated after the clock', async () => {
    const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws?token=${gateway.tokens.mcpTools}`);
    const messages: { channel: string; data: { time?: number; id?: string } }[] = [];
    socket.on('message', (raw) => messages.push(JSON.parse(String(raw))));
    try {
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'subscribe', channels: ['bars', 'quotes', 'signals', 'fills'] }));
      await waitFor(() => messages.some((m) => m.channel === 'subscribed'));

      // Posted while the clock stands before it: not streamed. One at the clock is, so the stream is live.
      await gateway.scanner.postSignal(signal(spx[clockIndex + 2].time, 'leak-ws-future'));
      await gateway.scanner.postSignal(signal(clockTime, 'leak-ws-present'));
      await waitFor(() => messages.some((m) => m.data.id === 'leak-ws-present'));
      await gateway.clock.advance(3); // the test's wall clock moves; the paused market clock must not
      expect(messages.filter((m) => m.channel === 'bars' || m.channel === 'quotes')).toEqual([]);

      await admin.controlClock({ action: 'step', bars: 1 });
      await gateway.clock.advance(0);
      await waitFor(() => messages.some((m) => m.channel === 'quotes'));
      const streamedBars = messages.filter((m) => m.channel === 'bars').map((m) => m.data as Bar);
      expect(streamedBars.length).toBeGreaterThan(0);
      expect(datedAfter(messages, nextDay)).toEqual([]);
      for (const bar of streamedBars) expect(barLeaks([bar], barsAsOf(universe.get(bar.symbol)!, universe.get(bar.symbol)!.interval, nextDay))).toEqual([]);
      expect(messages.some((m) => m.data.id === 'leak-ws-future')).toBe(false);
      // The signal of the new day is now served over REST.
      expect((await viewer.searchSignals()).map((s) => s.id)).toEqual(['leak-future', 'leak-present', 'leak-ws-present']);
    } finally {
      socket.close();
    }
  });
});

