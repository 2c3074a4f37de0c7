import { GatewayClient, GatewayError } from '@tradeyard/gateway-contract';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { startTestGateway, type TestGateway } from './test-gateway';

// The contract suite: every GatewayClient call against the real gateway. The client validates
// each answer with the contract's response schemas, so a route that drifts from them fails here.
const spx = loadSp500();

describe('GatewayClient against the real gateway', () => {
  let gateway: TestGateway;
  let admin: GatewayClient;
  beforeAll(async () => {
    gateway = await startTestGateway({ startDate: isoDate(spx[20].time) });
    const { token } = await new GatewayClient({ baseUrl: gateway.url }).login(gateway.admin.username, gateway.admin.password);
    admin = new GatewayClient({ baseUrl: gateway.url, token });
  }, 120_000);
  afterAll(() => gateway.close());

  it('logs in, lists symbols, quotes and bars as of the market clock the test moves', async () => {
    // The whole universe: SPX, the five bundled monthly stocks and 100 synthetic symbols, as of the clock.
    const symbols = await admin.listSymbols();
    expect(symbols).toHaveLength(106);
    expect(symbols[0]).toEqual({
      symbol: 'SPX', name: 'S&P 500 index', source: 'replay:sp500', interval: '1d', intervals: ['1d', '1w', '1M'],
      firstDate: '2000-01-03', lastDate: isoDate(spx[20].time), stale: false,
    });
    expect(symbols.find((s) => s.symbol === 'MSFT')).toMatchObject({ source: 'replay:stocks', interval: '1M', lastDate: '2000-01-01' }); // spx[20] is 2000-02-01: February's monthly bar has not closed
    expect(symbols.filter((s) => s.source === 'synthetic:1').map((s) => s.lastDate)).toEqual(Array(100).fill(isoDate(spx[20].time)));
    expect(await admin.getQuote('SPX')).toEqual({ symbol: 'SPX', price: spx[20].close, time: spx[20].time, date: isoDate(spx[20].time) });
    expect(await admin.getBars('SPX', { limit: 3 })).toEqual(spx.slice(18, 21));
    // Every symbol's quote in one answer, each the same as its own route's, none after the clock.
    const quotes = await admin.getQuotes();
    expect(quotes.map((q) => q.symbol)).toEqual(symbols.filter((s) => s.lastDate !== null).map((s) => s.symbol));
    expect(quotes[0]).toEqual(await admin.getQuote('SPX'));
    expect(quotes.every((q) => q.time <= spx[20].time)).toBe(true);
    await gateway.clock.advance(2);
    expect((await admin.getQuote('SPX')).time).toBe(spx[22].time);
    expect((await admin.getBars('SPX')).at(-1)).toEqual(spx[22]);
  });

  it("serves each symbol's intervals and answers any other with a 400 listing what it serves", async () => {
    const weeks = await admin.getBars('SPX', { interval: '1w' });
    expect(weeks.map((b) => isoDate(b.time))).toEqual(['2000-01-03', '2000-01-10', '2000-01-17', '2000-01-24', '2000-01-31']);
    expect(weeks.at(-1)!.close).toBe(spx[22].close); // the current week, up to the clock
    const months = await admin.getBars('SPX', { interval: '1M' });
    expect(months.map((b) => isoDate(b.time))).toEqual(['2000-01-01', '2000-02-01']);
    const refused = await admin.request('GET', '/bars/SPX', { query: { interval: '1h' } }).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      status: 400,
      body: { error: 'validation_failed', details: [{ field: 'query.interval', rule: 'SPX has no 1h bars; available intervals: 1d, 1w, 1M' }] },
    });
    // Monthly stocks: their own interval by default; daily bars do not exist for them.
    expect((await admin.getBars('IBM')).map((b) => isoDate(b.time))).toEqual(['2000-01-01']); // February's closes at its end
    await expect(admin.getBars('IBM', { interval: '1d' })).rejects.toMatchObject({ status: 400, body: { details: [{ field: 'query.interval', rule: 'IBM has no 1d bars; available intervals: 1M' }] } });
    const unknown = await admin.request('GET', '/bars/SPX', { query: { interval: '3d' } }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ status: 400, body: { details: [{ field: 'query.interval', rule: 'must be one of 1m, 5m, 15m, 1h, 4h, 1d, 1w, 1M (the intervals the gateway knows)' }] } });
  });

  it('places, reads, lists and cancels orders, with their journal, portfolio and equity', async () => {
    const client = gateway.client;
    const bought = await client.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 2 }, 'contract-1');
    expect(bought).toMatchObject({ status: 'filled', filledQuantity: 2, accountId: 'agent' });
    expect(await client.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 2 }, 'contract-1')).toEqual(bought);
    const resting = await client.placeOrder({ symbol: 'SPX', side: 'buy', type: 'limit', quantity: 1, limitPrice: 1 });
    expect(await client.getOrder(resting.id)).toEqual(resting);
    expect((await client.getOrders({ status: 'accepted' })).map((o) => o.id)).toEqual([resting.id]);
    expect((await client.cancelOrder(resting.id)).status).toBe('cancelled');
    expect((await client.getOrderEvents(resting.id)).map((e) => e.event)).toEqual(['accept', 'cancel']);
    const portfolio = await client.getPortfolio();
    expect(portfolio.positions).toEqual([expect.objectContaining({ symbol: 'SPX', quantity: 2 })]);
    expect((await client.getEquity()).at(-1)!.equity).toBeCloseTo(portfolio.equity, 6);
  });

  it('posts signals once and searches them', async () => {
    const signal = { id: 'contract-s1', symbol: 'SPX', rule: 'rsi(14) < 30', ruleId: 'rsi-oversold', time: spx[19].time, close: spx[19].close, values: { rsi: 28 } };
    const older = { id: 'contract-s0', symbol: 'SPX', rule: 'close > 1', time: spx[18].time, close: spx[18].close, values: {} };
    // Stored, it shows who posted it (the scanner's credential); posted again, it is answered as posted.
    const stored = { ...signal, postedBy: 'service:scanner' };
    const storedOlder = { ...older, postedBy: 'service:scanner' };
    expect(await gateway.scanner.postSignal(signal)).toEqual(stored);
    expect(await gateway.scanner.postSignal(signal)).toEqual(signal);
    expect(await gateway.scanner.postSignal(older)).toEqual(storedOlder);
    expect(await admin.searchSignals({ symbol: 'SPX' })).toEqual([stored, storedOlder]);
    // The rule filter finds a signal by its rule's id or by its expression.
    expect(await admin.searchSignals({ rule: 'rsi-oversold' })).toEqual([stored]);
    expect(await admin.searchSignals({ rule: 'rsi(14) < 30' })).toEqual([stored]);
    expect(await admin.searchSignals({ rule: 'close > 1' })).toEqual([storedOlder]);
  });

  it('answers errors as a GatewayError with the status and the {error, message, details} body', async () => {
    const error = await gateway.client.placeOrder({ symbol: 'SPX', side: 'buy', quantity: -1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 400, body: { error: 'validation_failed', details: [{ field: 'body.quantity', rule: 'must be greater than 0' }] } });
    await expect(new GatewayClient({ baseUrl: gateway.url }).getPortfolio()).rejects.toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    await expect(admin.getQuote('NOPE')).rejects.toMatchObject({ status: 404, body: { error: 'not_found', message: 'unknown symbol NOPE; GET /api/v1/symbols lists the 106 known' } });
  });
});
