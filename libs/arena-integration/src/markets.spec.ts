// Many markets at once: arenas started together each run in a market of their own, exactly as
// each runs alone, while the live agent trades the default market, which nothing else moves.
import { liveAgentConfigSchema, startLiveAgent } from '@tradeyard/agent-live';
import { comparableBoard, parseArenaConfig, registerArenaRoutes, startArenaRun, type ArenaConfigInput } from '@tradeyard/arena';
import type { GatewayClient } from '@tradeyard/gateway-contract';
import { waitFor } from '@tradeyard/gateway-testing';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { bearerVerifier, createLogger, createService, parseConfig } from '@tradeyard/service-kit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mcpToken, startArenaHarness, type ArenaHarness } from './__fixtures__/harness';

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
  const { app } = createService({ name: 'arena-markets', config: { PORT: 0, HOST: '127.0.0.1', LOG_LEVEL: 'silent' }, auth: bearerVerifier({ serviceToken: token, serviceCaller: { role: 'admin' } }) });
  const { gateway, mcpUrl } = harness;
  const arena = registerArenaRoutes(
    app,
    { GATEWAY_URL: gateway.url, ADMIN_USERNAME: gateway.admin.username, ADMIN_PASSWORD: gateway.admin.password, TRADING_AGENT_TOKEN: gateway.tokens.tradingAgent, MCP_URL: mcpUrl, DATA_DIR: join(dir, 'http') },
    log,
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
  await arena.stopAll();
  await app.close();
}, 300_000);
