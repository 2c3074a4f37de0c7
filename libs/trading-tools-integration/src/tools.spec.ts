import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { GatewayClient, ocoGroupSchema, orderSchema, portfolioSchema } from '@tradeyard/gateway-contract';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { sampleArenaBoard, startTestGateway, type TestGateway } from '@tradeyard/gateway-testing';
import Fastify from 'fastify';
import { request } from 'node:http';
import { join } from 'node:path';
import { CalculatorPool, createTradingMcpServer, mountMcpEndpoint, sharedTokenAuth } from '@tradeyard/trading-tools';

const mcpToken = 'mcp-token-0123456789abc';
const spx = loadSp500().slice(0, 300);

// The real gateway, its replay standing at the 251st bundled day.
let gateway: TestGateway;
let mcpToolsToken: string;
let mcpUrl: URL;
const mcp = Fastify();
const calculator = new CalculatorPool({ workerFile: join(__dirname, '__fixtures__/calculator-worker.js') });

beforeAll(async () => {
  gateway = await startTestGateway({ startDate: isoDate(spx[250].time) });
  mcpToolsToken = gateway.tokens.mcpTools;
  const client = gateway.client;
  // As the scanner posts it: the rule's expression and its id.
  await gateway.scanner.postSignal({ id: 's1', symbol: 'SPX', rule: 'rsi(14) < 30', ruleId: 'rsi-oversold', time: spx[240].time, close: spx[240].close, values: { rsi: 27.5 } });
  mountMcpEndpoint(mcp, { authenticate: sharedTokenAuth(mcpToken), createServer: () => createTradingMcpServer({ gateway: client, calculator }) });
  mcpUrl = new URL('/mcp', await mcp.listen({ port: 0, host: '127.0.0.1' }));
  // The real gateway starts an in-memory PostgreSQL (PGlite): seconds, more on a busy machine.
}, 120_000);
afterAll(async () => {
  await calculator.close();
  await mcp.close();
  await gateway.close();
});

async function connect(bearer?: string) {
  const client = new Client({ name: 'tools-test', version: '1.0.0' });
  const headers: Record<string, string> = bearer ? { authorization: `Bearer ${bearer}` } : {};
  await client.connect(new StreamableHTTPClientTransport(mcpUrl, { requestInit: { headers } }));
  return client;
}
const call = async (client: Client, name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult;
const textOf = (result: CallToolResult) => (result.content[0] as { text: string }).text;

describe('trading tools over Streamable HTTP with the SDK client', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connect(mcpToken);
  });
  afterAll(() => client.close());

  it('lists every tool with a description, an input schema and an output schema', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      ['buy', 'calculate', 'cancel_order', 'get_clock', 'get_history', 'get_leaderboard', 'get_orders', 'get_portfolio', 'get_price', 'list_symbols', 'place_oco', 'search_signals', 'sell'],
    );
    for (const tool of tools) {
      expect(tool.description!.length).toBeGreaterThan(40);
      expect(tool.outputSchema?.type).toBe('object');
    }
    const buy = tools.find((t) => t.name === 'buy')!;
    expect(buy.inputSchema.required).toEqual(['symbol', 'quantity']);
    expect(Object.keys(buy.inputSchema.properties!)).toEqual(['symbol', 'quantity', 'type', 'limitPrice', 'stopPrice', 'trailAmount', 'trailPercent', 'timeInForce', 'expireDate', 'takeProfitPrice', 'stopLossPrice', 'clientOrderId']);
    expect((buy.inputSchema.properties!.type as { enum: string[] }).enum).toEqual(['market', 'limit', 'stop', 'stop_limit', 'trailing_stop', 'market_on_open', 'market_on_close']);
    expect(tools.find((t) => t.name === 'place_oco')!.inputSchema.required).toEqual(['symbol', 'orders']);
    // get_history offers exactly the intervals the gateway serves.
    const history = tools.find((t) => t.name === 'get_history')!;
    expect((history.inputSchema.properties!.interval as { enum: string[] }).enum).toEqual(['1m', '5m', '15m', '1h', '4h', '1d', '1w', '1M']);
    expect(history.description).toContain('list_symbols gives them');
  });

  it('reads the market clock the answers are as of, and sees it paused after an admin pauses it', async () => {
    const clock = await call(client, 'get_clock');
    expect(clock.structuredContent).toEqual({ time: spx[250].time, date: isoDate(spx[250].time), state: 'running', ended: false, barsPerSecond: 1, startDate: isoDate(spx[250].time), endDate: null, epoch: 0, consumers: [], dropped: [] });
    expect(JSON.parse(textOf(clock))).toEqual(clock.structuredContent);
    const anonymous = new GatewayClient({ baseUrl: gateway.url });
    const admin = anonymous.withToken((await anonymous.login(gateway.admin.username, gateway.admin.password)).token);
    await admin.controlClock({ action: 'pause' });
    try {
      expect((await call(client, 'get_clock')).structuredContent).toMatchObject({ state: 'paused', date: isoDate(spx[250].time) });
      // Lockstep shows as its own mode, with the consumers the clock waits for.
      const { consumer } = await admin.registerClockConsumer('agent');
      await admin.controlClock({ action: 'lockstep' });
      // The consumer's id is shown only to the admin that registered it (and other admins), not to the tools' caller.
      const clock = (await call(client, 'get_clock')).structuredContent as { consumers: { id?: string }[] };
      expect(clock).toMatchObject({ state: 'lockstep', consumers: [{ name: 'agent', acked: false }] });
      expect(clock.consumers[0].id).toBeUndefined();
      await admin.deregisterClockConsumer(consumer.id);
    } finally {
      await admin.controlClock({ action: 'resume' });
    }
  });

  it('reads the price of SPX (any case) and its history, and does arithmetic', async () => {
    const price = await call(client, 'get_price', { symbol: 'spx' });
    expect(price.structuredContent).toEqual({ symbol: 'SPX', price: spx[250].close, time: spx[250].time, date: new Date(spx[250].time).toISOString().slice(0, 10) });
    expect(JSON.parse(textOf(price))).toEqual(price.structuredContent);

    const history = await call(client, 'get_history', { symbol: 'SPX', limit: 5 });
    expect((history.structuredContent!.bars as unknown[]).length).toBe(5);
    expect(history.structuredContent!.bars).toEqual(spx.slice(246, 251));
    const weekly = await call(client, 'get_history', { symbol: 'SPX', interval: '1w', limit: 2 });
    expect(weekly.isError).toBeFalsy();
    const weeks = weekly.structuredContent!.bars as { time: number; close: number }[];
    expect(weeks.map((b) => new Date(b.time).getUTCDay())).toEqual([1, 1]); // weeks open on Monday
    expect(weeks[1].close).toBe(spx[250].close); // the current week, up to the clock
    const monthly = await call(client, 'get_history', { symbol: 'SPX', interval: '1M', limit: 1 });
    expect((monthly.structuredContent!.bars as { time: number }[]).map((b) => isoDate(b.time).slice(8))).toEqual(['01']);

    const math = await call(client, 'calculate', { expression: '100000 * 0.25 / 4' });
    expect(math.structuredContent).toEqual({ expression: '100000 * 0.25 / 4', result: '6250', value: 6250 });
  });

  it('lists symbols and finds signals by symbol and date', async () => {
    const { symbols } = (await call(client, 'list_symbols')).structuredContent as { symbols: { symbol: string; source: string }[] };
    expect(symbols).toHaveLength(106);
    expect(symbols[0]).toMatchObject({ symbol: 'SPX', source: 'replay:sp500', interval: '1d' });
    const date = new Date(spx[240].time).toISOString().slice(0, 10);
    const found = await call(client, 'search_signals', { symbol: 'SPX', from: date, to: date });
    expect((found.structuredContent!.signals as { id: string }[]).map((s) => s.id)).toEqual(['s1']);
    // By rule id, as the tool's description offers ("e.g. rsi-oversold"), and by expression.
    for (const rule of ['rsi-oversold', 'rsi(14) < 30']) {
      const byRule = await call(client, 'search_signals', { rule });
      expect(byRule.structuredContent).toEqual({ signals: [expect.objectContaining({ id: 's1', ruleId: 'rsi-oversold', rule: 'rsi(14) < 30' })] });
    }
    expect((await call(client, 'search_signals', { rule: 'macd-cross' })).structuredContent).toEqual({ signals: [] });
    const none = await call(client, 'search_signals', { symbol: 'SPX', to: '2000-01-01' });
    expect(none.structuredContent).toEqual({ signals: [] });
  });

  it('reads an arena leaderboard: the newest run by default, or one by id, with the ranking, statistics and luck verdicts', async () => {
    const none = await call(client, 'get_leaderboard');
    expect(none.isError).toBe(true);
    expect(textOf(none)).toBe('get_leaderboard failed: no arena run has published a leaderboard yet');
    const older = sampleArenaBoard({ runId: 'older-run', name: 'An older run' });
    const newest = sampleArenaBoard({ runId: 'newest-run' });
    const runner = gateway.client.withToken(gateway.tokens.tradingAgent);
    await runner.publishArenaBoard(older);
    await runner.publishArenaBoard(newest);

    const board = await call(client, 'get_leaderboard');
    expect(board.isError).toBeFalsy();
    const withoutCurves = (b: typeof newest) => ({ ...b, rows: b.rows.map(({ equity: _equity, ...row }) => row) });
    expect(board.structuredContent).toEqual(withoutCurves(newest));
    const lines = textOf(board).split('\n');
    expect(lines[0]).toBe('Arena run newest-run "Three agents on the S&P 500": finished, lockstep, 2000-01-03 to 2020-04-17 (as of 2020-04-17, 5105/5105 steps)');
    expect(lines[2]).toBe('Ranked by Sharpe (higher is better):');
    expect(lines[3]).toBe('- #1: sma-cross (rule): Total return 42.13 %, Sharpe 0.61, Max drawdown 23.20 %, Trades 48, Fees 120.50');
    expect(lines[6]).toBe('- benchmark, not ranked: buy-and-hold (benchmark): Total return 9.54 %, Sharpe 0.21, Max drawdown 56.78 %, Trades 1, Fees —');
    // Each verdict once, its numbers rounded; the method once for all of them.
    expect(lines.slice(7)).toEqual([
      'Is each difference more than luck? By paired stationary bootstrap of the annualised Sharpe difference (2000 resamples, mean block 10 bars):',
      '- sma-cross vs gpt-local: Sharpe difference 0.0014 (95% interval \u22120.88 to 0.91): not distinguishable from luck',
      '- gpt-local vs rsi-revert: Sharpe difference 0.63 (95% interval 0.12 to 1.10): distinguishable from luck',
      '- sma-cross vs buy-and-hold: Sharpe difference 0.40 (95% interval \u22120.052 to 0.86): not distinguishable from luck',
    ]);

    expect((await call(client, 'get_leaderboard', { runId: 'older-run' })).structuredContent).toEqual(withoutCurves(older));
    const unknown = await call(client, 'get_leaderboard', { runId: 'no-such-run' });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/^get_leaderboard failed: no arena run no-such-run.*\[gateway 404 not_found\]$/);
    const bad = await call(client, 'get_leaderboard', { runId: 'bad id!' });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toContain('must be 1-80 letters, digits, dash or underscore');
  });

  it('buys and sells through the paper broker with an idempotency key, and the portfolio follows', async () => {
    const bought = await call(client, 'buy', { symbol: 'SPX', quantity: 10, clientOrderId: 'agent-1' });
    expect(bought.isError).toBeFalsy();
    const order = orderSchema.parse(bought.structuredContent);
    expect(order).toMatchObject({ side: 'buy', type: 'market', status: 'filled', filledQuantity: 10, avgFillPrice: spx[250].close });
    const keyOf = async (id: string) => (await gateway.gateway.db.query<{ key: string }>('SELECT idempotency_key AS key FROM orders WHERE id = $1', [id]))[0].key;
    expect(await keyOf(order.id)).toBe('mcp-agent-1');

    // The same client id again is the same order, not a second trade.
    const retried = await call(client, 'buy', { symbol: 'SPX', quantity: 10, clientOrderId: 'agent-1' });
    expect((retried.structuredContent as { id: string }).id).toBe(order.id);

    const sold = await call(client, 'sell', { symbol: 'SPX', quantity: 4 });
    expect(sold.structuredContent).toMatchObject({ side: 'sell', status: 'filled', filledQuantity: 4 });
    expect(await keyOf((sold.structuredContent as { id: string }).id)).toMatch(/^[0-9a-f-]{36}$/);

    const portfolio = portfolioSchema.parse((await call(client, 'get_portfolio')).structuredContent);
    expect(portfolio.positions).toEqual([expect.objectContaining({ symbol: 'SPX', quantity: 6 })]);
    expect(portfolio.cash).toBeCloseTo(100_000 - 6 * spx[250].close, 6);

    const orders = await call(client, 'get_orders', { symbol: 'SPX', status: 'filled' });
    expect((orders.structuredContent!.orders as unknown[]).length).toBe(2);
  });

  it('places stop, stop-limit and trailing-stop orders from the prices given, and reports a missing price by its field', async () => {
    const placed = [
      await call(client, 'sell', { symbol: 'SPX', quantity: 1, stopPrice: 1, timeInForce: 'day' }),
      await call(client, 'buy', { symbol: 'SPX', quantity: 1, stopPrice: 2, limitPrice: 1 }),
      await call(client, 'sell', { symbol: 'SPX', quantity: 1, trailPercent: 5 }),
    ].map((result) => result.structuredContent as { id: string });
    expect(placed).toEqual([
      expect.objectContaining({ type: 'stop', side: 'sell', stopPrice: 1, timeInForce: 'day' }),
      expect.objectContaining({ type: 'stop_limit', side: 'buy', stopPrice: 2, limitPrice: 1 }),
      expect.objectContaining({ type: 'trailing_stop', side: 'sell', trailPercent: 5 }),
    ]);
    // Resting orders reserve shares and cash: cancel them so the next tests see the account as it was.
    for (const order of placed) await call(client, 'cancel_order', { orderId: order.id });
    const missing = await call(client, 'buy', { symbol: 'SPX', quantity: 1, type: 'limit' });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/limitPrice/);
  });

  it('places a resting limit order and cancels it; a second cancel says why it cannot', async () => {
    const placed = await call(client, 'buy', { symbol: 'SPX', quantity: 1, limitPrice: 1 });
    expect(placed.structuredContent).toMatchObject({ type: 'limit', status: 'accepted', limitPrice: 1 });
    const id = (placed.structuredContent as { id: string }).id;
    expect((await call(client, 'cancel_order', { orderId: id })).structuredContent).toMatchObject({ id, status: 'cancelled' });
    const again = await call(client, 'cancel_order', { orderId: id });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toBe(`cancel_order failed: order ${id} is cancelled; cancel is not allowed from cancelled [gateway 409 illegal_transition]`);
  });

  it('places a one-cancels-other exit pair on the shares held, and an auction and a good-till-date order', async () => {
    const result = await call(client, 'place_oco', {
      symbol: 'spx',
      orders: [{ side: 'sell', quantity: 6, limitPrice: 5000 }, { side: 'sell', quantity: 6, stopPrice: 1 }],
      clientOrderId: 'exits-1',
    });
    expect(result.isError).toBeFalsy();
    const group = ocoGroupSchema.parse(result.structuredContent);
    expect(group.orders.map((o) => [o.type, o.side, o.status, o.ocoGroupId])).toEqual([['limit', 'sell', 'accepted', group.groupId], ['stop', 'sell', 'accepted', group.groupId]]);
    expect(JSON.parse(textOf(result))).toEqual(group);
    // Cancelling one cancels the other: the six shares are free again for the tests after this one.
    await call(client, 'cancel_order', { orderId: group.orders[1].id });
    const cancelled = (await call(client, 'get_orders', { status: 'cancelled', limit: 2 })).structuredContent!.orders as { id: string; reasonCode: string }[];
    expect(cancelled.map((o) => [o.id, o.reasonCode])).toEqual([[group.orders[1].id, 'cancelled_by_account'], [group.orders[0].id, 'cancelled_by_oco']]);

    const auction = await call(client, 'buy', { symbol: 'SPX', quantity: 1, type: 'market_on_open' });
    expect(auction.structuredContent).toMatchObject({ type: 'market_on_open', status: 'accepted', avgFillPrice: null });
    const gtd = await call(client, 'buy', { symbol: 'SPX', quantity: 1, limitPrice: 1, timeInForce: 'gtd', expireDate: isoDate(spx[260].time) });
    expect(gtd.structuredContent).toMatchObject({ type: 'limit', timeInForce: 'gtd', expireDate: isoDate(spx[260].time), status: 'accepted' });
    for (const placed of [auction, gtd]) await call(client, 'cancel_order', { orderId: (placed.structuredContent as { id: string }).id });

    const late = await call(client, 'buy', { symbol: 'SPX', quantity: 1, limitPrice: 1, timeInForce: 'gtd', expireDate: isoDate(spx[249].time) });
    expect(late.isError).toBe(true);
    expect(textOf(late)).toContain(`expireDate: ${isoDate(spx[249].time)} is before the market date ${isoDate(spx[250].time)}`);
    const single = await call(client, 'place_oco', { symbol: 'SPX', orders: [{ side: 'sell', quantity: 1, limitPrice: 5000 }] });
    expect(single.isError).toBe(true);
    expect(textOf(single)).toMatch(/must hold at least 2 orders at orders/);
  });

  it('places a bracket: once the entry fills, its take-profit and stop-loss exits rest on the other side', async () => {
    const entry = await call(client, 'buy', { symbol: 'SPX', quantity: 2, takeProfitPrice: 5000, stopLossPrice: 1 });
    expect(entry.structuredContent).toMatchObject({ type: 'market', status: 'filled', takeProfitPrice: 5000, stopLossPrice: 1 });
    const id = (entry.structuredContent as { id: string }).id;
    const open = ((await call(client, 'get_orders', { status: 'accepted' })).structuredContent!.orders as Array<{ id: string; type: string; side: string; quantity: number; parentId: string }>).filter((o) => o.parentId === id);
    expect(open.map((o) => [o.type, o.side, o.quantity]).sort()).toEqual([['limit', 'sell', 2], ['stop', 'sell', 2]]);
    // Cancelling one exit cancels the other; then the two shares go, so the account is as the next tests expect.
    await call(client, 'cancel_order', { orderId: open[0].id });
    await call(client, 'sell', { symbol: 'SPX', quantity: 2 });
  });

  it('reports a denied order as a tool error with the reason code and the broker reason', async () => {
    const result = await call(client, 'buy', { symbol: 'SPX', quantity: 1_000_000 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^buy denied \(denied_buying_power\): insufficient buying power: needs [\d.]+, available [\d.]+$/);
    const oversold = await call(client, 'sell', { symbol: 'SPX', quantity: 100 });
    expect(textOf(oversold)).toBe('sell denied (denied_insufficient_position): selling 100 SPX but 6 of 6 held are free (short selling is not enabled)');
  });

  it.each([
    ['buy', { symbol: 'SPX', quantity: -5 }, /Invalid arguments for tool buy: must be greater than 0 at quantity/],
    ['buy', { symbol: 'SPX' }, /Invalid arguments for tool buy: must be a number at quantity/],
    ['sell', { symbol: 'S P X', quantity: 1 }, /must be a ticker of 1-20 letters.* at symbol/],
    ['get_history', { symbol: 'SPX', from: '2000-13-45' }, /must be a real calendar date at from/],
    ['get_history', { symbol: 'SPX', interval: '3d' }, /must be one of 1m, 5m, 15m, 1h, 4h, 1d, 1w, 1M \(the intervals the gateway knows\) at interval/],
    ['get_history', { symbol: 'SPX', interval: '1h' }, /^get_history failed: .*SPX has no 1h bars; available intervals: 1d, 1w, 1M/],
    ['get_history', { symbol: 'SPX', from: '2001-01-01', to: '2000-01-01' }, /^get_history failed: from must not be after to$/],
    ['calculate', { expression: 'evaluate("1")' }, /^calculate failed: function evaluate is not allowed$/],
    ['calculate', { expression: '1e308*10' }, /^calculate failed: result is not a finite number \(Infinity\)/],
    ['get_price', { symbol: 'NOPE' }, /^get_price failed: unknown symbol NOPE; GET \/api\/v1\/symbols lists the 106 known \[gateway 404 not_found\]$/],
    ['no_such_tool', {}, /Tool no_such_tool not found/],
  ])('%s %j is a tool error that says why', async (name, args, message) => {
    const result = await call(client, name, args);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(message);
  });

  it('turns an unreachable gateway into a tool error, not a crash', async () => {
    // A port that was just free: nothing listens there.
    const probe = Fastify();
    const deadUrl = await probe.listen({ port: 0, host: '127.0.0.1' });
    await probe.close();
    const down = new GatewayClient({ baseUrl: deadUrl, token: mcpToolsToken });
    const app = Fastify();
    mountMcpEndpoint(app, { authenticate: sharedTokenAuth(mcpToken), createServer: () => createTradingMcpServer({ gateway: down, calculator }) });
    const url = new URL('/mcp', await app.listen({ port: 0, host: '127.0.0.1' }));
    const other = new Client({ name: 'down', version: '1' });
    await other.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${mcpToken}` } } }));
    try {
      const result = await call(other, 'get_portfolio');
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^get_portfolio failed: gateway unreachable or answered badly: .*ECONNREFUSED/);
    } finally {
      await other.close();
      await app.close();
    }
  });
});

describe('endpoint authentication', () => {
  it('refuses a missing or wrong bearer token with 401', async () => {
    await expect(connect()).rejects.toThrow('missing or wrong bearer token');
    await expect(connect('wrong-token-0123456789a')).rejects.toThrow('missing or wrong bearer token');
    const res = await fetch(mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await res.json()).toEqual({ jsonrpc: '2.0', error: { code: -32001, message: 'missing or wrong bearer token' }, id: null });
  });

  it('without a configured token serves loopback clients only', async () => {
    const app = Fastify();
    mountMcpEndpoint(app, { authenticate: sharedTokenAuth(undefined), createServer: () => createTradingMcpServer({ gateway: new GatewayClient({ baseUrl: gateway.url }), calculator }) });
    await app.ready();
    const body = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const remote = await app.inject({ method: 'POST', url: '/mcp', remoteAddress: '10.1.2.3', headers, payload: body });
    expect(remote.statusCode).toBe(401);
    expect(remote.json().error.message).toBe('MCP_AUTH_TOKEN is not configured: only loopback clients are served');
    const url = new URL('/mcp', await app.listen({ port: 0, host: '127.0.0.1' }));
    const local = new Client({ name: 'local', version: '1' });
    await local.connect(new StreamableHTTPClientTransport(url));
    expect((await local.listTools()).tools.length).toBe(13);
    await local.close();
    // A DNS-rebinding page reaches the loopback port under its own name: Host and Origin say so.
    const port = url.port;
    // node:http, since fetch does not let a caller set Host.
    const post = (extra: Record<string, string>) =>
      new Promise<{ status: number; json: () => Promise<{ error: { message: string } }> }>((resolve, reject) => {
        const req = request(url, { method: 'POST', headers: { ...headers, ...extra } }, (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, json: async () => JSON.parse(text) }));
        });
        req.on('error', reject).end(JSON.stringify(body));
      });
    const rebound = await post({ host: `evil.example:${port}` });
    expect(rebound.status).toBe(403);
    expect((await rebound.json()).error.message).toBe(`Invalid Host header: evil.example:${port}`);
    const foreignOrigin = await post({ origin: 'http://evil.example' });
    expect(foreignOrigin.status).toBe(403);
    expect((await foreignOrigin.json()).error.message).toBe('Invalid Origin header: http://evil.example');
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) {
      expect((await post({ host, origin: `http://${host}` })).status).toBe(200);
    }
    await app.close();
  });
});

describe('bounds on every tool', () => {
  it('a tool over its time bound or output size is an error naming the limit', async () => {
    const app = Fastify();
    const gatewayClient = new GatewayClient({ baseUrl: gateway.url, token: mcpToolsToken });
    mountMcpEndpoint(app, { authenticate: sharedTokenAuth(mcpToken), createServer: () => createTradingMcpServer({ gateway: gatewayClient, calculator, limits: { maxOutputChars: 2000 } }) });
    const url = new URL('/mcp', await app.listen({ port: 0, host: '127.0.0.1' }));
    const other = new Client({ name: 'bounds', version: '1' });
    await other.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${mcpToken}` } } }));
    try {
      const big = await call(other, 'get_history', { symbol: 'SPX', limit: 200 });
      expect(big.isError).toBe(true);
      expect(textOf(big)).toMatch(/^get_history failed: output size limit: the result is \d+ characters, more than 2000/);
      expect((await call(other, 'get_price', { symbol: 'SPX' })).isError).toBeFalsy();
    } finally {
      await other.close();
      await app.close();
    }
    const slow = Fastify();
    const never = { calculate: () => new Promise<never>(() => undefined) };
    mountMcpEndpoint(slow, { authenticate: sharedTokenAuth(mcpToken), createServer: () => createTradingMcpServer({ gateway: gatewayClient, calculator: never, limits: { timeoutMs: 300 } }) });
    const slowUrl = new URL('/mcp', await slow.listen({ port: 0, host: '127.0.0.1' }));
    const third = new Client({ name: 'slow', version: '1' });
    await third.connect(new StreamableHTTPClientTransport(slowUrl, { requestInit: { headers: { authorization: `Bearer ${mcpToken}` } } }));
    try {
      const late = await call(third, 'calculate', { expression: '1+1' });
      expect(late.isError).toBe(true);
      expect(textOf(late)).toBe('calculate failed: time limit: no answer within 300 ms');
    } finally {
      await third.close();
      await slow.close();
    }
  });
});
