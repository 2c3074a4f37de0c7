// Many markets at once: arenas started together each run in a market of their own, exactly as
// each runs alone, while the live agent trades the default market, which nothing else moves.
import { liveAgentConfigSchema, startLiveAgent } from '@tradeyard/agent-live';
import { comparableBoard, parseArenaConfig, readRecording, startArenaRun, type ArenaConfigInput } from '@tradeyard/arena';
import type { GatewayClient } from '@tradeyard/gateway-contract';
import { waitFor } from '@tradeyard/gateway-testing';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { bearerVerifier, createLogger, parseConfig } from '@tradeyard/service-kit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mcpToken, startArenaHarness, startArenaService, startModelApi, type ArenaHarness } from './__fixtures__/harness';

const spx = loadSp500();
const day = (i: number) => isoDate(spx[i].time);
const log = createLogger('arena-markets-test', 'silent');

let harness: ArenaHarness;
let admin: GatewayClient;
let dir: string;

beforeAll(async () => {
  harness = await startArenaHarness({ startDate: day(100), env: { SYNTHETIC_SYMBOLS: '2' } });
  admin = harness.admin;
  dir = mkdtempSync(join(tmpdir(), 'arena-markets-'));
}, 120_000);
afterAll(async () => {
  await harness.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Two arenas over other years than the default market shows, with rule agents that trade. */
const configs: ArenaConfigInput[] = [
  {
    name: 'autumn 2008',
    market: { symbols: ['SPX', 'SYN000'], from: '2008-09-02', to: '2008-10-31' },
    agents: [
      { kind: 'rule', name: 'sma', strategy: { name: 'sma-cross', fast: 2, slow: 5 } },
      { kind: 'rule', name: 'rsi', strategy: { name: 'rsi-reversion', period: 5, buyBelow: 40, sellAbove: 60 } },
    ],
  },
  {
    name: 'spring 2009',
    market: { symbols: ['SPX'], from: '2009-03-02', to: '2009-04-30' },
    agents: [
      { kind: 'rule', name: 'breakout', strategy: { name: 'breakout', entryPeriod: 5, exitPeriod: 3 } },
      { kind: 'rule', name: 'hold', strategy: { name: 'buy-and-hold' } },
    ],
  },
];

it('runs two arenas started by simultaneous POSTs, each exactly as alone, while the live agent trades the untouched default market', async () => {
  const defaultBefore = await admin.getClock();
  const liveOrdersBefore = await harness.gateway.client.getOrders({ limit: 1000 });
  const token = 'arena-service-token-0123';
  const { gateway, mcpUrl } = harness;
  const { app } = await startArenaService(
    { GATEWAY_URL: gateway.url, ADMIN_USERNAME: gateway.admin.username, ADMIN_PASSWORD: gateway.admin.password, TRADING_AGENT_TOKEN: gateway.tokens.tradingAgent, MCP_URL: mcpUrl, DATA_DIR: join(dir, 'http') },
    bearerVerifier({ serviceToken: token, serviceCaller: { role: 'admin', username: 'arena-admin' } }),
  );
  const live = startLiveAgent(
    parseConfig(liveAgentConfigSchema, { MCP_URL: mcpUrl, MCP_AUTH_TOKEN: mcpToken, DATA_DIR: join(dir, 'live'), AGENT_SYMBOLS: 'SPX', AGENT_STRATEGY: '{"name":"sma-cross","fast":2,"slow":3}' }),
    { log, autoStart: false },
  );

  const posted = await Promise.all(configs.map((body) => app.inject({ method: 'POST', url: '/api/v1/arena/runs', headers: { authorization: `Bearer ${token}` }, payload: body })));
  expect(posted.map((r) => [r.statusCode, r.json().message])).toEqual([[202, undefined], [202, undefined]]);
  const ids: string[] = posted.map((r) => r.json().id);
  const statusOf = async (id: string) => (await app.inject(`/api/v1/arena/runs/${id}`)).json().status as string;
  // The live agent's cycles on the default market, each after a bar the test releases, while the arenas run.
  let bars = 0;
  while ((await Promise.all(ids.map(statusOf))).includes('running')) {
    await live.runCycle();
    await gateway.clock.advance();
    bars++;
  }
  await live.stop();
  await waitFor(async () => (await Promise.all(ids.map(statusOf))).every((s) => s === 'finished'));

  // Each board equals the board of the same config run alone.
  for (const [k, config] of configs.entries()) {
    const together = await admin.getArenaBoard(ids[k]);
    const alone = await startArenaRun({ config: parseArenaConfig(config), outDir: join(dir, `alone-${k}`), mcpUrl, admin, env: {}, log }).done;
    expect(alone.status).toBe('finished');
    expect(comparableBoard(together)).toEqual(comparableBoard(alone));
    expect(together.rows.some((row) => (row.statistics.trades ?? 0) > 0)).toBe(true);
  }

  // The default market moved only by the bars the test released; the live agent traded it alone, at its prices.
  expect(await admin.getClock()).toMatchObject({ date: day(100 + bars), epoch: defaultBefore.epoch });
  const liveOrders = (await gateway.client.getOrders({ limit: 1000 })).slice(0, -liveOrdersBefore.length || undefined);
  const defaultCloses = new Set(spx.slice(100, 101 + bars).map((bar) => bar.close));
  const filled = liveOrders.filter((o) => o.status === 'filled');
  expect(filled.length).toBeGreaterThan(0);
  for (const order of filled) expect(defaultCloses.has(order.avgFillPrice!)).toBe(true);
  await app.close();
}, 300_000);

/** A model that searches the signals of its symbol every turn, then ends the turn saying how many it saw. */
function signalReader(body: { model: string; messages: Array<{ role: string; content: string | null }> }) {
  const user = body.messages.find((m) => m.role === 'user')!.content!;
  const step = Number(/Step (\d+)/.exec(user)![1]);
  const symbol = /Symbols: ([A-Z0-9_-]+)/.exec(user)![1];
  const seen = body.messages.findLast((m) => m.role === 'tool')?.content;
  const message = seen
    ? { role: 'assistant', content: `step ${step}: ${(seen.match(/"ruleId"/g) ?? []).length} signals` }
    : { role: 'assistant', content: null, tool_calls: [{ id: `call_signals_${step}`, type: 'function', function: { name: 'search_signals', arguments: JSON.stringify({ symbol, limit: 20 }) } }] };
  return {
    id: `chatcmpl-${step}`, object: 'chat.completion', created: 1_700_000_000, model: body.model,
    choices: [{ index: 0, message, finish_reason: message.content ? 'stop' : 'tool_calls' }],
    usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
  };
}

it('replays a recorded arena whose language models search signals every turn exactly, run after run, while the scanner posts meanwhile', async () => {
  const model = await startModelApi(signalReader);
  const config = parseArenaConfig({
    name: 'signal readers',
    market: { symbols: ['SPX'], from: '2008-09-22', to: '2008-10-24' },
    agents: [
      { kind: 'llm', name: 'llm-a', baseUrl: model.base, model: 'model-a', apiKeyVar: 'ARENA_A_API_KEY', maxSteps: 3 },
      { kind: 'llm', name: 'llm-b', baseUrl: model.base, model: 'model-b', apiKeyVar: 'ARENA_B_API_KEY', maxSteps: 3 },
    ],
  });
  const { mcpUrl, gateway } = harness;
  const recorded = join(dir, 'signals-recorded');
  const board = await startArenaRun({ config, outDir: recorded, mcpUrl, admin, env: { ARENA_A_API_KEY: 'sk-a', ARENA_B_API_KEY: 'sk-b' }, log }).done;
  await model.close();
  expect(board.status).toBe('finished');
  // The agents saw the run's own signals: the starter rules fire on SPX in October 2008 (RSI under 30).
  const { events } = await readRecording(recorded);
  const searches = events.filter((e) => e.type === 'tool_call' && e.tool === 'search_signals');
  expect(searches).toHaveLength(2 * board.stepsDone);
  const found = searches.map((e) => (e.result as { signals: Array<{ ruleId: string; time: number }> }).signals);
  expect(found.some((signals) => signals.some((s) => s.ruleId === 'rsi-oversold'))).toBe(true);
  // Never a signal dated after the step that read it.
  const dateOfStep = new Map(events.filter((e) => e.type === 'turn').map((e) => [e.step, e.date as string]));
  searches.forEach((e, k) => expect(found[k].filter((s) => isoDate(s.time) > dateOfStep.get(e.step)!)).toEqual([]));

  // Meanwhile the scanner posts signals of those days into the default market, as a scanner replaying 2008 does.
  const scanner = admin.withToken(gateway.tokens.scanner);
  const days = spx.filter((bar) => isoDate(bar.time) >= '2008-09-22' && isoDate(bar.time) <= '2008-10-24');
  await scanner.postSignals(days.map((bar) => ({ id: `meanwhile-${bar.time}`, symbol: 'SPX', rule: 'rsi(14) < 30', ruleId: 'rsi-oversold', time: bar.time, close: bar.close, values: {} })));

  for (const replay of ['signals-replay-1', 'signals-replay-2']) {
    const again = await startArenaRun({ config, outDir: join(dir, replay), mcpUrl, admin, env: {}, log, replayOf: recorded }).done;
    expect(again.status).toBe('finished');
    expect(comparableBoard(again)).toEqual(comparableBoard(board));
  }
}, 300_000);
