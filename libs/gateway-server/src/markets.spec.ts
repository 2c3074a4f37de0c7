import { GatewayClient, GatewayError, MARKET_HEADER } from '@tradeyard/gateway-contract';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { openDatabase } from '@tradeyard/persistence';
import { parseConfig } from '@tradeyard/service-kit';
import { gatewayConfigSchema } from './config';
import { createGateway, type Gateway } from './gateway';
import { secrets } from './__fixtures__/secrets';
import { waitFor } from './__fixtures__/wait';
import { WebSocket } from 'ws';

// Each test starts a gateway on PGlite: slow on a busy machine.
jest.setTimeout(180_000);

/** The refusal a call answers: its status and body. */
async function refusal(call: Promise<unknown>) {
  try {
    await call;
  } catch (err) {
    if (err instanceof GatewayError) return { status: err.status, ...err.body };
    throw err;
  }
  throw new Error('the call succeeded');
}

const spx = loadSp500();
/** SPX's close on the first trading day on or after `date`. */
const closeOn = (date: string) => spx.find((bar) => isoDate(bar.time) >= date)!.close;

describe('markets: each with its own clock, universe and accounts', () => {
  let gateway: Gateway;
  let admin: GatewayClient;
  let adminToken: string;
  let url: string;

  beforeAll(async () => {
    const config = parseConfig(gatewayConfigSchema, { HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...secrets, SYNTHETIC_SYMBOLS: '0', REPLAY_START_DATE: '2019-06-03', SLIPPAGE_BPS: '0' });
    gateway = await createGateway({ ...config, PORT: 0 }, { database: await openDatabase({}) });
    url = await gateway.start();
    adminToken = (await new GatewayClient({ baseUrl: url }).login('admin', secrets.ADMIN_PASSWORD)).token;
    admin = new GatewayClient({ baseUrl: url, token: adminToken });
    await admin.controlClock({ action: 'pause' });
  });
  afterAll(() => gateway?.stop());

  /** An arena agent's client: a token bound to an account opened in `market`. */
  const agentIn = async (market: string, name: string) => admin.withToken((await admin.createApiToken({ label: name, account: `arena:markets:${name}`, market })).token);

  it('creates a simulated market paused at its first date, and steps it without moving any other', async () => {
    const defaultClock = await admin.getClock();
    const a = await admin.createMarket({ id: 'autumn-2008', symbols: ['SPX', 'AAPL'], from: '2008-09-02', to: '2008-12-31' });
    expect(a).toMatchObject({ id: 'autumn-2008', name: 'autumn-2008', kind: 'simulated', status: 'open', symbols: ['SPX', 'AAPL'], from: '2008-09-02', to: '2008-12-31', createdBy: 'admin' });
    expect(a.clock).toMatchObject({ date: '2008-09-02', state: 'paused' });
    // SPX's trading days from 2 September through 31 December 2008.
    expect(a.steps).toBe(spx.filter((bar) => isoDate(bar.time) >= '2008-09-02' && isoDate(bar.time) <= '2008-12-31').length);
    const b = await admin.createMarket({ id: 'autumn-2008-b', symbols: ['SPX'], from: '2008-09-02', to: '2008-12-31' });

    const stepped = await admin.inMarket('autumn-2008').controlClock({ action: 'step', bars: 3 });
    expect(stepped.date).toBe('2008-09-05');
    expect((await admin.getMarket('autumn-2008-b')).clock).toEqual(b.clock);
    expect(await admin.getClock()).toMatchObject({ time: defaultClock.time, epoch: defaultClock.epoch });

    // Point in time as of each market's own clock.
    expect((await admin.inMarket('autumn-2008').getQuote('SPX')).price).toBe(closeOn('2008-09-05'));
    expect((await admin.inMarket('autumn-2008-b').getQuote('SPX')).price).toBe(closeOn('2008-09-02'));
    expect((await admin.getQuote('SPX')).price).toBe(closeOn(defaultClock.date));
    expect((await admin.inMarket('autumn-2008').listSymbols()).map((s) => s.symbol)).toEqual(['SPX', 'AAPL']);
    expect((await admin.listMarkets()).map((m) => [m.id, m.kind])).toEqual([
      ['default', 'default'],
      ['autumn-2008', 'simulated'],
      ['autumn-2008-b', 'simulated'],
    ]);
  });

  it("trades an account at its own market's prices, and never another market's accounts", async () => {
    const agent = await agentIn('autumn-2008', 'alpha');
    const before = await admin.getPortfolio();
    // The agent's token acts in its account's market without naming it: its clock, its prices.
    expect((await agent.getClock()).date).toBe((await admin.getMarket('autumn-2008')).clock.date);
    const bought = await agent.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 2 });
    expect(bought).toMatchObject({ status: 'filled', avgFillPrice: (await agent.getQuote('SPX')).price });
    expect((await agent.getPortfolio()).positions).toEqual([expect.objectContaining({ symbol: 'SPX', quantity: 2 })]);
    expect(await admin.getPortfolio()).toEqual(before);

    // Naming another market than the account's is refused, whichever side names it.
    expect(await refusal(agent.inMarket('default').placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 }))).toMatchObject({ status: 409, error: 'account_in_other_market' });
    expect(await refusal(admin.inMarket('autumn-2008').placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 }))).toMatchObject({ status: 409, error: 'account_in_other_market' });
    // An account belongs to one market for its whole life.
    expect(await refusal(admin.createApiToken({ label: 'move', account: 'arena:markets:alpha', market: 'autumn-2008-b' }))).toMatchObject({ status: 409, error: 'account_in_other_market' });
  });

  it("fills a resting order on its market's bars as that market's clock steps, and only then", async () => {
    const agent = await agentIn('autumn-2008-b', 'beta');
    const limitPrice = Math.round(closeOn('2008-09-02') * 0.9);
    const resting = await agent.placeOrder({ symbol: 'SPX', side: 'buy', type: 'limit', quantity: 1, limitPrice });
    expect(resting.status).toBe('accepted');
    await admin.controlClock({ action: 'step', bars: 5 });
    expect((await agent.getOrder(resting.id)).status).toBe('accepted');
    // SPX fell more than 10 % in the weeks after 2 September 2008.
    const market = admin.inMarket('autumn-2008-b');
    while ((await agent.getOrder(resting.id)).status === 'accepted' && !(await market.getClock()).ended) await market.controlClock({ action: 'step', bars: 1 });
    const filled = await agent.getOrder(resting.id);
    expect(filled).toMatchObject({ status: 'filled' });
    expect(filled.avgFillPrice).toBeLessThanOrEqual(limitPrice);
    expect((await market.getClock()).date < '2008-11-01').toBe(true);
  });

  it('archives a market: its clock stops, its accounts stay readable and stop trading', async () => {
    const agent = await agentIn('autumn-2008', 'gamma');
    await agent.placeOrder({ symbol: 'AAPL', side: 'buy', quantity: 1 });
    const archived = await admin.archiveMarket('autumn-2008');
    expect(archived).toMatchObject({ status: 'archived', archivedAt: expect.any(String) });
    expect((await agent.getPortfolio()).positions).toEqual([expect.objectContaining({ symbol: 'AAPL', quantity: 1 })]);
    expect(await agent.getOrders()).toHaveLength(1);
    expect(await refusal(agent.placeOrder({ symbol: 'AAPL', side: 'sell', quantity: 1 }))).toMatchObject({ status: 409, message: expect.stringContaining('archived') });
    expect((await admin.getMarket('autumn-2008')).status).toBe('archived');
    expect(await refusal(admin.archiveMarket('default'))).toMatchObject({ status: 409 });
  });

  it('keeps each market’s signals to itself; only an admin posts into a simulated market', async () => {
    const time = Date.parse('2008-09-02T00:00:00Z');
    const signal = { id: 'run-1', symbol: 'SPX', rule: 'rsi(14) < 30', ruleId: 'rsi-oversold', time, close: closeOn('2008-09-02'), values: {} };
    expect(await admin.inMarket('autumn-2008-b').postSignals([signal])).toEqual({ stored: 1, duplicates: 0 });
    expect((await admin.inMarket('autumn-2008-b').searchSignals()).map((s) => s.id)).toEqual(['run-1']);
    expect(await admin.searchSignals()).toEqual([]);
    const agent = await agentIn('autumn-2008-b', 'epsilon');
    // An agent of the market reads its signals and cannot plant any.
    expect((await agent.searchSignals()).map((s) => s.id)).toEqual(['run-1']);
    expect(await refusal(agent.postSignals([{ ...signal, id: 'planted', ruleId: 'mine', rule: 'close > 0' }]))).toMatchObject({ status: 403, details: [{ field: `headers.${MARKET_HEADER}` }] });
    // The same id in another market is another signal.
    expect(await admin.withToken(secrets.SCANNER_TOKEN).postSignals([signal])).toEqual({ stored: 1, duplicates: 0 });
  });

  it('streams each WebSocket client one market: the one it names, else its account’s', async () => {
    /** A socket subscribed to the clock and quotes, and what it received. */
    const socket = async (token: string, market?: string) => {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/ws?token=${token}${market ? `&market=${market}` : ''}`);
      const messages: Array<{ channel: string; data: { date?: string; symbol?: string; price?: number } }> = [];
      ws.on('message', (raw) => messages.push(JSON.parse(String(raw))));
      await new Promise((resolve) => ws.once('open', resolve));
      ws.send(JSON.stringify({ type: 'subscribe', channels: ['clock', 'quotes'] }));
      await waitFor(() => messages.some((m) => m.channel === 'subscribed')).catch((err) => {
        throw new Error(`${err.message}; received ${JSON.stringify(messages)}`);
      });
      return { ws, messages };
    };
    const named = await socket(adminToken, 'autumn-2008-b');
    const byAccount = await socket((await admin.createApiToken({ label: 'zeta', account: 'arena:markets:zeta', market: 'autumn-2008-b' })).token);
    const onDefault = await socket(adminToken);
    const stepped = await admin.inMarket('autumn-2008-b').controlClock({ action: 'step', bars: 1 });
    for (const client of [named, byAccount]) {
      await waitFor(() => client.messages.some((m) => m.channel === 'clock' && m.data.date === stepped.date));
      await waitFor(() => client.messages.some((m) => m.channel === 'quotes' && m.data.symbol === 'SPX' && m.data.price === closeOn(stepped.date)));
    }
    // The default market's socket heard nothing of it (its own clock is paused).
    await admin.getClock();
    expect(onDefault.messages.filter((m) => m.channel !== 'subscribed')).toEqual([]);
    const unknown = new WebSocket(`${url.replace('http', 'ws')}/ws?token=${adminToken}&market=nope`);
    const closed = await new Promise<number>((resolve) => unknown.once('close', resolve));
    expect(closed).toBe(4404);
    for (const client of [named, byAccount, onDefault]) client.ws.close();
  });

  it('refuses bad markets and unknown ones naming the field and the rule', async () => {
    expect(await refusal(admin.createMarket({ symbols: ['SPX'], from: '2008-12-31', to: '2008-09-02' }))).toMatchObject({ status: 400, details: [{ field: 'body.to', rule: 'must be on or after from' }] });
    expect(await refusal(admin.createMarket({ symbols: ['NOPE'], from: '2008-09-02', to: '2008-12-31' }))).toMatchObject({
      status: 400,
      details: [{ field: 'body.symbols', rule: "NOPE is not a symbol of this platform's history" }],
    });
    expect(await refusal(admin.createMarket({ symbols: ['SPX'], from: '1990-01-01', to: '1990-12-31' }))).toMatchObject({ status: 400, details: [{ field: 'body.from' }] });
    expect(await refusal(admin.createMarket({ id: 'autumn-2008-b', from: '2008-09-02', to: '2008-12-31' }))).toMatchObject({ status: 409 });
    expect(await refusal(admin.createMarket({ id: 'Bad Id', from: '2008-09-02', to: '2008-12-31' }))).toMatchObject({ status: 400, details: [{ field: 'body.id' }] });
    expect(await refusal(admin.inMarket('nope').getClock())).toMatchObject({ status: 404, details: [{ field: `headers.${MARKET_HEADER}` }] });
    expect(await refusal(admin.getMarket('nope'))).toMatchObject({ status: 404 });
  });

  it('lets only an admin or the arena credential create and archive markets', async () => {
    const trader = await agentIn('default', 'delta');
    expect(await refusal(trader.createMarket({ from: '2008-09-02', to: '2008-12-31' }))).toMatchObject({ status: 403 });
    expect(await refusal(trader.archiveMarket('autumn-2008-b'))).toMatchObject({ status: 403 });
    const arena = admin.withToken(secrets.TRADING_AGENT_TOKEN);
    const made = await arena.createMarket({ symbols: ['SPX'], from: '2010-01-04', to: '2010-03-31' });
    expect(made).toMatchObject({ kind: 'simulated', createdBy: 'service:trading-agent', id: expect.stringMatching(/^m-[0-9a-f]{12}$/) });
    expect(await arena.archiveMarket(made.id)).toMatchObject({ status: 'archived' });
    // The scanner's credential has no arena scope.
    expect(await refusal(admin.withToken(secrets.SCANNER_TOKEN).createMarket({ from: '2008-09-02', to: '2008-12-31' }))).toMatchObject({ status: 403 });
  });
});
