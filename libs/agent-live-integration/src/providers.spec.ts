// MARKET_PROVIDER=synthetic and =files end to end, in-process: the real gateway started with the
// provider lists its symbols and fills a market order, and the live agent, through the real MCP
// tools, decides on every symbol of its list each cycle and trades more than one of them.
import { startTestGateway, type TestGateway } from '@tradeyard/gateway-testing';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { createLogger, parseConfig } from '@tradeyard/service-kit';
import { calculate, createTradingMcpServer, mountMcpEndpoint, sharedTokenAuth } from '@tradeyard/trading-tools';
import Fastify from 'fastify';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveAgentConfigSchema, readRunEvents, startLiveAgent } from '@tradeyard/agent-live';

const mcpToken = 'mcp-token-0123456789abcd';
const log = createLogger('agent-providers-test', 'silent');
// The agent never calls calculate here; its bounds (worker threads) are tested in trading-tools.
const calculator = { calculate: async (expression: string) => calculate(expression) };
const DAY = 86_400_000;

/** A folder with one CSV of two symbols, 120 weekdays each, whose prices swing out of phase (so an SMA cross fires on both). */
function barFiles(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agent-files-'));
  const lines = ['symbol,time,open,high,low,close,volume'];
  let time = Date.UTC(2024, 0, 1);
  for (let i = 0; i < 120; time += DAY) {
    if ([0, 6].includes(new Date(time).getUTCDay())) continue;
    for (const [symbol, phase] of [['ACME', 0], ['BOLT', Math.PI]] as const) {
      const close = 100 + 10 * Math.sin(i / 6 + phase);
      lines.push(`${symbol},${isoDate(time)},${close},${close + 1},${close - 1},${close},1000`);
    }
    i++;
  }
  writeFileSync(join(dir, 'prices.csv'), lines.join('\n') + '\n');
  return dir;
}

const filesDir = barFiles();
afterAll(() => rmSync(filesDir, { recursive: true, force: true }));

const cases: { provider: string; env: Record<string, string>; startDate: string; symbols: string[] }[] = [
  { provider: 'synthetic', env: { SYNTHETIC_SYMBOLS: '4' }, startDate: isoDate(loadSp500()[100].time), symbols: ['SYN000', 'SYN001', 'SYN002', 'SYN003'] },
  { provider: 'files', env: { MARKET_FILES_DIR: filesDir }, startDate: '2024-02-01', symbols: ['ACME', 'BOLT'] },
];

describe.each(cases)('MARKET_PROVIDER=$provider', ({ provider, env, startDate, symbols }) => {
  let gateway: TestGateway;
  const mcp = Fastify();
  let dataDir: string;
  beforeAll(async () => {
    gateway = await startTestGateway({ startDate, env: { MARKET_PROVIDER: provider, ...env } });
    mountMcpEndpoint(mcp, { authenticate: sharedTokenAuth(mcpToken), createServer: () => createTradingMcpServer({ gateway: gateway.client, calculator }) });
    await mcp.listen({ port: 0, host: '127.0.0.1' });
    dataDir = mkdtempSync(join(tmpdir(), 'agent-providers-'));
  }, 120_000);
  afterAll(async () => {
    await mcp.close();
    await gateway?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists exactly its symbols and fills a market order', async () => {
    expect((await gateway.client.listSymbols()).map((s) => s.symbol)).toEqual(symbols);
    expect(await gateway.client.placeOrder({ symbol: symbols[0], side: 'buy', type: 'market', quantity: 1 })).toMatchObject({ status: 'filled', filledQuantity: 1 });
    await gateway.client.placeOrder({ symbol: symbols[0], side: 'sell', type: 'market', quantity: 1 });
  });

  it('the live agent decides on every symbol each cycle and trades more than one', async () => {
    const address = mcp.server.address() as { port: number };
    const config = parseConfig(liveAgentConfigSchema, {
      MCP_URL: `http://127.0.0.1:${address.port}/mcp`, MCP_AUTH_TOKEN: mcpToken, DATA_DIR: dataDir, AGENT_INTERVAL_MS: '100',
      AGENT_SYMBOLS: symbols.join(','), AGENT_STRATEGY: '{"name":"sma-cross","fast":3,"slow":8}',
    });
    const agent = startLiveAgent(config, { log, autoStart: false });
    for (let i = 0; i < 30; i++) {
      await agent.runCycle();
      await gateway.clock.advance();
    }
    await agent.stop();
    const events = (await readRunEvents(join(dataDir, 'agent-runs'), agent.status().runId))!;
    // Every symbol's data reached the agent; a buy the broker denies for buying power (the agent sizes
    // each symbol's share of equity, and the others' positions move meanwhile) is its only tolerated error.
    expect(events.filter((e) => e.type === 'error' && !String(e.message).includes('(denied_buying_power)'))).toEqual([]);
    const decided = events.filter((e) => e.type === 'decision').map((e) => e.symbol);
    for (const symbol of symbols) expect(decided.filter((s) => s === symbol)).toHaveLength(30);
    const orders = (await gateway.client.getOrders({ limit: 1000 })).filter((o) => o.status === 'filled');
    expect(new Set(orders.map((o) => o.symbol)).size).toBeGreaterThan(1);
    // Four MCP calls per symbol and cycle: about 500 calls, slow on a busy machine.
  }, 120_000);
});
