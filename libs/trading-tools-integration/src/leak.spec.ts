import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { barLeaks, barsAsOf, datedAfter, LEAK_CLOCK_DATE, leakBarQueries, replayUniverse, startTestGateway, type TestGateway } from '@tradeyard/gateway-testing';
import { type Bar, type Interval, isoDate } from '@tradeyard/market-data';
import Fastify from 'fastify';
import { join } from 'node:path';
import { CalculatorPool, createTradingMcpServer, mountMcpEndpoint, sharedTokenAuth } from '@tradeyard/trading-tools';

// The leak suite through the MCP tools (official SDK client) on the real gateway paused in the
// middle of the data: every tool that reads market data or the account answers as of the clock.
// A new reading tool is one line in `toolCalls`.
const mcpToken = 'mcp-token-0123456789abc';
const universe = replayUniverse(2);
const spx = universe.get('SPX')!.bars;
const clockIndex = spx.findIndex((bar) => isoDate(bar.time) === LEAK_CLOCK_DATE);
const clockTime = spx[clockIndex].time;
const nextDay = spx[clockIndex + 1].time;

let gateway: TestGateway;
let client: Client;
const mcp = Fastify();
const calculator = new CalculatorPool({ workerFile: join(__dirname, '__fixtures__/calculator-worker.js') });

beforeAll(async () => {
  gateway = await startTestGateway({ startDate: LEAK_CLOCK_DATE, env: { SYNTHETIC_SYMBOLS: '2' } });
  const { admin } = await gateway.signedIn();
  await admin.controlClock({ action: 'pause' });
  // A signal dated the day after the clock (posted ahead of it) and one at the clock.
  for (const [id, time] of [['mcp-leak-future', nextDay], ['mcp-leak-present', clockTime]] as const) {
    await gateway.scanner.postSignal({ id, symbol: 'SPX', rule: 'rsi(14) < 30', ruleId: 'rsi-oversold', time, close: 1, values: {} });
  }
  await gateway.client.placeOrder({ symbol: 'SYN000', side: 'buy', type: 'market', quantity: 2 });
  mountMcpEndpoint(mcp, { authenticate: sharedTokenAuth(mcpToken), createServer: () => createTradingMcpServer({ gateway: gateway.client, calculator }) });
  const url = new URL('/mcp', await mcp.listen({ port: 0, host: '127.0.0.1' }));
  client = new Client({ name: 'leak-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${mcpToken}` } } }));
}, 120_000);
afterAll(async () => {
  await client?.close();
  await calculator.close();
  await mcp.close();
  await gateway?.close();
});

async function call(name: string, args: Record<string, unknown> = {}) {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(result.isError).toBeFalsy();
  return result.structuredContent as Record<string, unknown>;
}

/** One line per reading tool call. */
const toolCalls: [string, Record<string, unknown>][] = [
  ['get_clock', {}],
  ['list_symbols', {}],
  ...[...universe.keys()].map((symbol): [string, Record<string, unknown>] => ['get_price', { symbol }]),
  ['search_signals', {}],
  ['search_signals', { from: isoDate(nextDay) }],
  ['search_signals', { to: '2020-01-01', rule: 'rsi-oversold', symbol: 'spx' }],
  ['get_portfolio', {}],
  ['get_orders', {}],
];

describe('every MCP tool answers as of the paused market clock', () => {
  it.each(toolCalls)('%s %j: nothing dated after the clock', async (name, args) => {
    expect(datedAfter(await call(name, args), clockTime)).toEqual([]);
  });

  const historyCalls = [...universe.values()].flatMap((feed) => {
    const intervals: Interval[] = feed.interval === '1d' ? ['1d', '1w', '1M'] : [feed.interval];
    return intervals.flatMap((interval) => leakBarQueries.map((query) => [feed.symbol, interval, query] as const));
  });
  it.each(historyCalls)('get_history %s %s %j: only closed bars, the current week or month partial up to the clock', async (symbol, interval, query) => {
    const { bars } = (await call('get_history', { symbol, interval, ...query })) as { bars: Bar[] };
    expect(barLeaks(bars, barsAsOf(universe.get(symbol)!, interval, clockTime))).toEqual([]);
  });

  it('shows the clock day closed, the week and month up to it, and only the signal at the clock', async () => {
    expect(await call('get_price', { symbol: 'SPX' })).toMatchObject({ date: LEAK_CLOCK_DATE, price: spx[clockIndex].close });
    const { bars: weeks } = (await call('get_history', { symbol: 'SPX', interval: '1w', limit: 1 })) as { bars: Bar[] };
    expect(weeks).toEqual([expect.objectContaining({ time: Date.UTC(2005, 5, 13), close: spx[clockIndex].close })]);
    expect(await call('get_price', { symbol: 'AAPL' })).toMatchObject({ date: '2005-05-01' });
    const { signals } = (await call('search_signals', {})) as { signals: { id: string }[] };
    expect(signals.map((s) => s.id)).toEqual(['mcp-leak-present']);
  });
});
