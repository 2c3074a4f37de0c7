// The live agent running a user's SDK strategy file (AGENT_STRATEGY=file:...) through the real MCP
// tools server and the real gateway (in-process, PGlite), step by step on the market clock.
import type { Order } from '@tradeyard/gateway-contract';
import { startTestGateway, type TestGateway } from '@tradeyard/gateway-testing';
import { isoDate, loadSp500, type Bar } from '@tradeyard/market-data';
import { portfolioData, runPortfolio } from '@tradeyard/portfolio-backtest';
import { bearerVerifier, createLogger, createService, parseConfig } from '@tradeyard/service-kit';
import { compileStrategy, type Decision } from '@tradeyard/strategy';
import { loadStrategyFile } from '@tradeyard/strategy-loader';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveAgentConfigSchema, readRunEvents, startLiveAgent, strategyHistoryBars, type LiveAgentHandle } from '@tradeyard/agent-live';
import { mcpToken, startMcpTools } from './__fixtures__/mcp-tools';

const spx = loadSp500();
const log = createLogger('agent-test', 'silent');
const examples = join(__dirname, '../../../examples/strategies');
/** 2001-05-21, when two of the symbols have risen over 60 bars: twenty steps from here reach into June, so a monthly strategy decides twice. */
const START = 348;
const day = (i: number) => isoDate(spx[i].time);
/** The first step of the next month: a monthly strategy's second decision. */
const NEXT_MONTH = day(spx.findIndex((_bar, i) => i > START && day(i).slice(0, 7) !== day(START).slice(0, 7)));
const SYMBOLS = ['SPX', 'SYN000', 'SYN001', 'SYN002'];

let gateway: TestGateway;
let mcp: Awaited<ReturnType<typeof startMcpTools>>;
let mcpUrl: string;
/** Outside the repository, as a user's own folder: the strategy files and the agent's DATA_DIR. */
let home: string;

beforeEach(async () => {
  gateway = await startTestGateway({ startDate: isoDate(spx[START].time), env: { SYNTHETIC_SYMBOLS: '3' } });
  mcp = await startMcpTools(gateway);
  mcpUrl = mcp.url;
  home = mkdtempSync(join(tmpdir(), 'agent-strategy-'));
}, 120_000);
afterEach(async () => {
  await mcp.close();
  await gateway.close();
  rmSync(home, { recursive: true, force: true });
});

const copyExample = (name: string) => {
  const file = join(home, `${name}.ts`);
  copyFileSync(join(examples, `${name}.ts`), file);
  return file;
};
const agentFor = (strategy: string, env: Record<string, string> = {}) =>
  startLiveAgent(parseConfig(liveAgentConfigSchema, { MCP_URL: mcpUrl, MCP_AUTH_TOKEN: mcpToken, DATA_DIR: join(home, 'data'), AGENT_SYMBOLS: SYMBOLS.join(','), AGENT_STRATEGY: strategy, ...env }), { log, autoStart: false });
/** Runs `steps` cycles, the clock moving one bar after each. */
async function trade(agent: LiveAgentHandle, steps: number) {
  for (let i = 0; i < steps; i++) {
    await agent.runCycle();
    await gateway.clock.advance();
  }
}
const eventsOf = async (agent: LiveAgentHandle, type: string) => ((await readRunEvents(join(home, 'data', 'agent-runs'), agent.status().runId)) ?? []).filter((e) => e.type === type);
const decisionsOf = async (agent: LiveAgentHandle) => (await eventsOf(agent, 'decision')).map((e) => [e.barTime as number, e.decisions as Decision[]] as const);

/** The portfolio backtester over the bars the agent read (its warm-up history and the steps), trading from the first step: its decisions. */
async function backtestDecisions(file: string, params: Record<string, unknown>, steps: number) {
  const { definition } = await loadStrategyFile(file);
  const strategy = compileStrategy(definition, params);
  const bars = new Map<string, Bar[]>();
  for (const symbol of SYMBOLS) {
    const upTo = await gateway.client.getBars(symbol, { to: day(START), limit: strategyHistoryBars(strategy) });
    const after = await gateway.client.getBars(symbol, { from: day(START + 1), to: day(START + steps - 1), limit: 10_000 });
    bars.set(symbol, [...upTo, ...after]);
  }
  const data = portfolioData(bars);
  const decisions: Array<readonly [number, readonly Decision[]]> = [];
  runPortfolio(data, strategy, { start: data.calendar.times.indexOf(spx[START].time), onDecision: (time, made) => void decisions.push([time, made]) });
  return decisions;
}

describe('live agent, an SDK strategy file', () => {
  it("trades the issue's rotation file from a folder outside the repository for 20 steps, deciding as the portfolio backtester does over the same bars", async () => {
    const file = copyExample('momentum-rotation');
    const agent = agentFor(JSON.stringify({ name: `file:${file}`, lookback: 60, top: 2 }));
    expect(agent.status()).toMatchObject({ mode: 'strategy', modeReason: `OPENAI_API_KEY is not set: decisions by the strategy file:${file} on each new bar of the market clock` });
    await trade(agent, 20);
    await agent.stop();
    expect(agent.status()).toMatchObject({ cycles: 20, steps: 20, symbols: SYMBOLS });
    expect(agent.status().error).toBeUndefined();

    // Monthly: the first step (warm already) and the first step of June.
    const live = await decisionsOf(agent);
    expect(live.map(([time]) => isoDate(time))).toEqual([day(START), NEXT_MONTH]);
    expect(live).toEqual(await backtestDecisions(file, { lookback: 60, top: 2 }, 20));

    // The decisions became market orders in whole shares on the agent's account, named by the strategy's instance and decision date.
    const orders: Order[] = (await gateway.client.getOrders({ limit: 1000 })).reverse();
    expect(orders.length).toBeGreaterThanOrEqual(2);
    expect(orders.every((o) => o.type === 'market' && o.status === 'filled' && Number.isInteger(o.quantity))).toBe(true);
    const [instance] = readFileSync(join(home, 'data', 'strategy-state', 'momentum-rotation.json'), 'utf8').match(/"instance":"([^"]+)"/)!.slice(1);
    const compact = (date: string) => date.replaceAll('-', '');
    for (const key of await gateway.idempotencyKeys()) expect(key).toMatch(new RegExp(`^mcp-${instance}-(${compact(day(START))}|${compact(NEXT_MONTH)})-(SPX|SYN00[0-2])$`));
    // The first decision's targets: each chosen symbol near half the equity.
    const [, [first]] = live[0];
    const chosen = Object.keys((first as Extract<Decision, { kind: 'targets' }>).weights);
    expect(chosen).toHaveLength(2);
    const { positions, equity } = await gateway.client.getPortfolio();
    const events = await eventsOf(agent, 'order');
    expect(events.length).toBe(orders.length);
    expect(positions.map((p) => p.symbol).sort()).toEqual(Object.keys((live[1][1][0] as Extract<Decision, { kind: 'targets' }>).weights).sort());
    for (const p of positions) expect(p.marketValue / equity).toBeGreaterThan(0.4);
  }, 180_000);

  it('keeps its state across a restart: the second agent goes on from the last step and decides as one agent would', async () => {
    const file = copyExample('momentum-rotation');
    const spec = JSON.stringify({ name: `file:${file}`, lookback: 60 });
    const first = agentFor(spec);
    await trade(first, 10);
    await first.stop();
    // The clock moved on while no agent ran: the restarted one decides at the bars it missed, not again in May.
    await gateway.clock.advance(2);
    const second = agentFor(spec);
    await trade(second, 8);
    await second.stop();
    const decided = [...(await decisionsOf(first)), ...(await decisionsOf(second))];
    expect(decided.map(([time]) => isoDate(time))).toEqual([day(START), NEXT_MONTH]);
    expect(decided).toEqual(await backtestDecisions(file, { lookback: 60 }, 20));
    expect(second.status().steps).toBe(10);
  }, 180_000);

  it('places explicit orders with their brackets through the tools, tagged with the reason', async () => {
    const file = copyExample('bracket-breakout');
    const agent = agentFor(JSON.stringify({ name: `file:${file}`, entry: 5, size: 0.1 }));
    await trade(agent, 20);
    await agent.stop();
    const orders: Order[] = (await gateway.client.getOrders({ limit: 1000 })).reverse();
    const entries = orders.filter((o) => o.takeProfitPrice != null);
    expect(entries.length).toBeGreaterThan(0);
    // Each filled entry left a take-profit limit and a stop-loss stop on the other side, one cancelling the other.
    for (const entry of entries.filter((o) => o.status === 'filled')) {
      const exits = orders.filter((o) => o.parentId === entry.id);
      expect(exits.map((o) => o.type).sort()).toEqual(['limit', 'stop']);
      expect(exits.map((o) => o.limitPrice ?? o.stopPrice).sort()).toEqual([entry.stopLossPrice, entry.takeProfitPrice].sort());
    }
    const keys = (await gateway.idempotencyKeys()).filter((k) => k !== null);
    expect(keys.length).toBe(entries.length);
    for (const key of keys) expect(key).toMatch(/^mcp-[0-9a-f]{8}-2001\d{4}-\d+-(SPX|SYN00[0-2])~breakout$/);
    expect((await eventsOf(agent, 'order')).every((e) => e.reason === 'breakout')).toBe(true);
  }, 180_000);

  it('places one-cancels-other groups through place_oco: of each group at most one order trades, and it cancels the other', async () => {
    const file = copyExample('range-entry');
    const agent = agentFor(JSON.stringify({ name: `file:${file}`, lookback: 5 }));
    await trade(agent, 20);
    await agent.stop();
    expect(await eventsOf(agent, 'error')).toEqual([]);
    const orders: Order[] = (await gateway.client.getOrders({ limit: 1000 })).reverse();
    const groups = new Map<string, Order[]>();
    for (const o of orders) if (o.ocoGroupId) groups.set(o.ocoGroupId, [...(groups.get(o.ocoGroupId) ?? []), o]);
    // One group per symbol at each of the two monthly decisions.
    expect(groups.size).toBe(2 * SYMBOLS.length);
    for (const group of groups.values()) {
      expect(group.map((o) => [o.side, o.type]).sort()).toEqual([['buy', 'limit'], ['buy', 'stop']]);
      const traded = group.filter((o) => o.filledQuantity > 0);
      expect(traded.length).toBeLessThanOrEqual(1);
      if (traded.length) expect(group.find((o) => o.filledQuantity === 0)).toMatchObject({ status: 'cancelled', reasonCode: 'cancelled_by_oco' });
    }
    expect([...groups.values()].some((group) => group.some((o) => o.filledQuantity > 0))).toBe(true);
    // A group is placed under one idempotency key, named after the strategy's group.
    const keys = (await gateway.idempotencyKeys()).filter((k) => k?.includes('-oco-'));
    expect(keys).toHaveLength(groups.size);
    for (const key of keys) expect(key).toMatch(/^mcp-[0-9a-f]{8}-2001\d{4}-oco-range-(SPX|SYN00[0-2])~range$/);
  }, 180_000);

  it('stops the loop with one logged error on a strategy that throws, and /ready says why; the service keeps answering', async () => {
    const file = join(home, 'thrower.ts');
    writeFileSync(
      file,
      readFileSync(join(examples, 'momentum-rotation.ts'), 'utf8').replace("name: 'momentum-rotation'", "name: 'thrower'").replace("rebalance: 'monthly'", "rebalance: 'bar'").replace('decide(ctx) {', `decide(ctx) {\n    if (ctx.date >= '${day(START + 2)}') throw new Error('no idea what to do');`),
    );
    const agent = agentFor(`file:${file}`, { AGENT_SYMBOLS: 'SPX' });
    const service = createService({ name: 'agent-test', config: { PORT: 0, HOST: '127.0.0.1', LOG_LEVEL: 'silent' }, auth: bearerVerifier({}), readiness: [{ name: 'live-agent', check: () => agent.readiness() }] });
    expect((await service.app.inject('/ready')).statusCode).toBe(200);
    await trade(agent, 5);
    const message = `strategy thrower at ${day(START + 2)}: no idea what to do`;
    expect(agent.status()).toMatchObject({ running: false, error: message, cycles: 3 });
    const ready = await service.app.inject('/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'not ready', missing: ['live-agent'], checks: { 'live-agent': `the live agent stopped: ${message}` } });
    await agent.stop();
    expect((await eventsOf(agent, 'error')).map((e) => [e.message, e.stopped])).toEqual([[message, true]]);
    await service.app.close();
  }, 120_000);

  it('stops with one line naming the file, the key and the rule when the strategy cannot load', async () => {
    const file = copyExample('momentum-rotation');
    const cases = [
      [JSON.stringify({ name: `file:${file}`, lookback: 500 }), `${file}: params.lookback: must be at most 250`],
      [`file:${join(home, 'missing.ts')}`, `${join(home, 'missing.ts')}: file: cannot be read (ENOENT)`],
      ['martingale', 'martingale: strategy: must be one of buy-and-hold, sma-cross, rsi-reversion, breakout or the path of a strategy file'],
    ];
    for (const [strategy, message] of cases) {
      const agent = agentFor(strategy);
      await agent.runCycle();
      await agent.runCycle();
      await agent.stop();
      expect(agent.status()).toMatchObject({ running: false, error: message, cycles: 1 });
      expect(() => agent.readiness()).toThrow(`the live agent stopped: ${message}`);
    }
    // A state file it cannot read is no crash either: it stops, naming the file.
    const stateFile = join(home, 'data', 'strategy-state', 'momentum-rotation.json');
    mkdirSync(join(stateFile, '..'), { recursive: true });
    writeFileSync(stateFile, '{half a state');
    const agent = agentFor(`file:${file}`);
    await agent.runCycle();
    await agent.stop();
    expect(agent.status().error).toMatch(new RegExp(`^${stateFile}: is not the JSON a live strategy saves \\(.*\\); move it away to start afresh$`));
    expect(await gateway.client.getOrders({ limit: 10 })).toEqual([]);
  }, 120_000);

  it('finds a strategy by its name in STRATEGIES_DIR', async () => {
    const dir = join(home, 'strategies');
    mkdirSync(dir);
    copyFileSync(join(examples, 'equal-weight-monthly.ts'), join(dir, 'equal-weight-monthly.ts'));
    const agent = agentFor('equal-weight-monthly', { STRATEGIES_DIR: dir });
    await trade(agent, 2);
    await agent.stop();
    expect(agent.status().error).toBeUndefined();
    const { positions } = await gateway.client.getPortfolio();
    expect(positions.map((p) => p.symbol).sort()).toEqual(SYMBOLS);
  }, 120_000);
});
