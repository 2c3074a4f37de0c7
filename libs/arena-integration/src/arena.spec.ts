// An arena end to end: the real gateway (in-process, PGlite), the real MCP tools server, and a
// local OpenAI-compatible server answering the two LLM agents like a recorded conversation.
import { ACCOUNT_HEADER, type GatewayClient } from '@tradeyard/gateway-contract';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { bearerVerifier, createLogger } from '@tradeyard/service-kit';
import { comparableBoard, parseArenaConfig, readRecording, runArenaCommand, startArena, startArenaRun, type ArenaConfigInput } from '@tradeyard/arena';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelReply, startArenaHarness, startArenaService, startModelApi, type ArenaHarness } from './__fixtures__/harness';

const spx = loadSp500();
const day = (i: number) => isoDate(spx[i].time);
const log = createLogger('arena-test', 'silent');

let harness: ArenaHarness;
let gateway: ArenaHarness['gateway'];
let admin: GatewayClient;
let mcpUrl: string;
let dir: string;

beforeAll(async () => {
  harness = await startArenaHarness({ startDate: day(100), env: { SYNTHETIC_SYMBOLS: '2' } });
  ({ gateway, admin, mcpUrl } = harness);
  dir = mkdtempSync(join(tmpdir(), 'arena-'));
}, 120_000);
afterAll(async () => {
  await harness.close();
  rmSync(dir, { recursive: true, force: true });
});

const configFor = (modelBase: string, overrides: Partial<ArenaConfigInput> = {}): ArenaConfigInput => ({
  name: 'Five agents',
  seed: 7,
  market: { symbols: ['SPX'], from: day(100), to: day(124) },
  startingCash: 100_000,
  agents: [
    { kind: 'llm', name: 'llm-a', baseUrl: modelBase, model: 'model-a', apiKeyVar: 'ARENA_A_API_KEY', maxSteps: 4, pricePerMillionTokens: 2 },
    { kind: 'llm', name: 'llm-b', baseUrl: modelBase, model: 'model-b', apiKeyVar: 'ARENA_B_API_KEY', maxSteps: 4 },
    { kind: 'rule', name: 'sma', strategy: { name: 'sma-cross', fast: 3, slow: 8 } },
    { kind: 'rule', name: 'hold', strategy: { name: 'buy-and-hold' } },
    { kind: 'rule', name: 'rsi', strategy: { name: 'rsi-reversion', period: 5, buyBelow: 40, sellAbove: 60 } },
  ],
  ...overrides,
});
const env = { ARENA_A_API_KEY: 'sk-a', ARENA_B_API_KEY: 'sk-b' };
const ordersOf = async (accountId: string) =>
  (await gateway.gateway.db.query<{ symbol: string; side: string; quantity: string; status: string }>('SELECT symbol, side, quantity, status FROM orders WHERE account_id = $1 ORDER BY created_at, id', [accountId])).map((o) => ({ ...o, quantity: Number(o.quantity) }));

describe('arena', () => {
  it('runs two LLM agents and three rule agents in lockstep, each on its own account, and its replay reproduces the board', async () => {
    const model = await startModelApi((body) => modelReply(body, body.model === 'model-a' ? 2 : 5));
    const out = join(dir, 'run');
    const run = startArenaRun({ config: parseArenaConfig(configFor(model.base)), outDir: out, mcpUrl, admin, env, log });
    const board = await run.done;
    await model.close();

    // Watchers see progress: the run's length is the first symbol's bars between from and to.
    expect(run.status()).toMatchObject({ status: 'finished', stepsDone: 25, stepsTotal: 25, currentDate: day(124) });
    // The board is published to the gateway, which serves it to REST, MCP and the /arena page.
    expect(run.status().publishError).toBeUndefined();
    expect(await admin.getArenaBoard(board.runId)).toEqual(board);
    expect(JSON.parse(readFileSync(join(out, 'board.json'), 'utf8'))).toEqual(board);
    expect(board).toMatchObject({ status: 'finished', mode: 'lockstep', from: day(100), to: day(124), stepsDone: 25, stepsTotal: 25, symbols: ['SPX'], rankedBy: 'sharpe' });
    expect(board.rows.map((r) => r.agent).sort()).toEqual(['buy-and-hold', 'hold', 'llm-a', 'llm-b', 'rsi', 'sma']);
    expect(board.rows.filter((r) => r.rank !== null).map((r) => r.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(board.rows.at(-1)).toMatchObject({ agent: 'buy-and-hold', kind: 'benchmark', rank: null });
    expect(board.columns.length).toBeGreaterThanOrEqual(35);
    // Rule agents mark the portfolio they hold at the closes they read instead of asking each
    // turn: buy-and-hold's mark at its last turn (no order after it) must be the gateway's equity.
    const hold = board.rows.find((r) => r.agent === 'hold')!;
    const holdTurns = readFileSync(join(out, 'run.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.type === 'turn' && e.agent === 'hold');
    expect(holdTurns).toHaveLength(25);
    expect(holdTurns.at(-1).equity).toBeCloseTo((await gateway.gateway.broker.portfolio(hold.accountId!)).equity, 6);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/not distinguishable from luck|distinguishable from luck/);
    expect(board.comparisons.length).toBe(4 + 5);
    for (const c of board.comparisons) expect(c.verdict).toMatch(c.distinguishable ? /distinguishable from luck/ : /not distinguishable from luck/);

    // Model calls per turn: price, then a buy on steps 1, 4, 7, ... (9 of 25), then the summary.
    const llmA = board.rows.find((r) => r.agent === 'llm-a')!;
    expect(model.calls()).toBe(2 * (25 * 2 + 9));
    expect(llmA.statistics.tokens).toBe(25 * (110 + 111) + 9 * 112);
    expect(llmA.statistics.inferenceCost).toBeCloseTo((llmA.statistics.tokens! * 2) / 1e6, 12);
    expect(board.rows.find((r) => r.agent === 'sma')!.statistics.tokens).toBeNull();

    // Each agent traded its own account; the service's own account traded nothing.
    expect(await ordersOf(`arena:${run.runId}:llm-a`)).toEqual(Array(9).fill(expect.objectContaining({ symbol: 'SPX', side: 'buy', quantity: 2, status: 'filled' })));
    expect(await ordersOf(`arena:${run.runId}:llm-b`)).toHaveLength(9);
    expect(await ordersOf(`arena:${run.runId}:hold`)).toEqual([expect.objectContaining({ side: 'buy', status: 'filled' })]);
    const smaOrders = await ordersOf(`arena:${run.runId}:sma`);
    expect(new Set(smaOrders.map((o) => o.side))).toEqual(new Set(['buy', 'sell']));
    expect(await ordersOf('agent')).toEqual([]);

    // Everything was recorded: turns with their dates, tool calls, model exchanges, orders and fills.
    const recording = await readRecording(out);
    const count = (type: string) => recording.events.filter((e) => e.type === type).length;
    expect(count('turn')).toBe(5 * 25);
    expect(recording.events.find((e) => e.type === 'turn')).toMatchObject({ agent: expect.any(String), step: 1, date: day(100) });
    expect(recording.exchanges.get('llm-a')).toHaveLength(25 * 2 + 9);
    expect(count('tool_call')).toBeGreaterThan(5 * 25);
    expect(count('fill')).toBe(count('order'));

    // The replay: no model API at all, the recorded replies served back; same orders, same board.
    const again = startArenaRun({ config: recording.config, outDir: join(dir, 'replay'), mcpUrl, admin, env: {}, log, replayOf: out });
    const replayed = await again.done;
    expect(again.status()).toMatchObject({ status: 'finished' });
    expect(comparableBoard(replayed)).toEqual(comparableBoard(board));
    for (const agent of ['llm-a', 'llm-b', 'sma', 'hold', 'rsi']) expect(await ordersOf(`arena:${again.runId}:${agent}`)).toEqual(await ordersOf(`arena:${run.runId}:${agent}`));

    // A recording that differs from what the agent now asks fails the replay loudly.
    const lines = readFileSync(join(out, 'run.jsonl'), 'utf8').split('\n');
    const tampered = lines.map((line) => (line.includes('"llm_exchange"') && line.includes('Step 2,') ? line.replace('Step 2,', 'Step 9,') : line));
    const forged = join(dir, 'forged');
    rmSync(forged, { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(forged);
    writeFileSync(join(forged, 'run.jsonl'), tampered.join('\n'));
    writeFileSync(join(forged, 'config.json'), readFileSync(join(out, 'config.json')));
    const diverged = await startArenaRun({ config: recording.config, outDir: join(dir, 'diverged'), mcpUrl, admin, env: {}, log, replayOf: forged }).done;
    expect(diverged.status).toBe('failed');
    expect(diverged.error).toMatch(/^replay diverged: agent llm-(a|b), model call 4: the request differs from the recorded one/);
  }, 300_000);

  it('stops a run after the current step when asked, its market archived where it stood, the default market unmoved', async () => {
    const defaultClock = await admin.getClock();
    const config = parseArenaConfig(configFor('http://127.0.0.1:1/v1', { market: { symbols: ['SPX'], from: day(100), to: day(2000) }, agents: [{ kind: 'rule', name: 'hold', strategy: { name: 'buy-and-hold' } }] }));
    const run = startArenaRun({ config, outDir: join(dir, 'stopped'), mcpUrl, admin, env: {}, log });
    while (run.status().stepsDone < 3) await new Promise((resolve) => setTimeout(resolve, 20));
    const board = await run.stop();
    expect(board.status).toBe('stopped');
    expect(board.stepsDone).toBeLessThan(100);
    const steps = board.stepsDone;
    await new Promise((resolve) => setTimeout(resolve, 200));
    const market = (await admin.listMarkets()).find((m) => m.name === `arena ${run.runId}`);
    expect(market).toMatchObject({ status: 'archived', symbols: ['SPX'], from: day(100), to: day(2000), clock: { date: day(100 + steps - 1) } });
    expect(await admin.getClock()).toMatchObject({ time: defaultClock.time, epoch: defaultClock.epoch });
  }, 120_000);

  it('refuses a starting cash other than the gateway opens accounts with, naming the key', async () => {
    const config = parseArenaConfig(configFor('http://127.0.0.1:1/v1', { startingCash: 5_000, agents: [{ kind: 'rule', name: 'hold', strategy: { name: 'buy-and-hold' } }] }));
    const board = await startArenaRun({ config, outDir: join(dir, 'cash'), mcpUrl, admin, env: {}, log }).done;
    expect(board).toMatchObject({ status: 'failed', error: "startingCash: must equal the gateway's starting cash (PAPER_STARTING_CASH) 100000; it is 5000" });
  }, 60_000);

  it('fails a run whose stated fees are not what the gateway charges', async () => {
    const config = parseArenaConfig(configFor('http://127.0.0.1:1/v1', { costs: { feeBps: 10 }, agents: [{ kind: 'rule', name: 'hold', strategy: { name: 'buy-and-hold' } }] }));
    const board = await startArenaRun({ config, outDir: join(dir, 'fees'), mcpUrl, admin, env: {}, log }).done;
    expect(board.status).toBe('failed');
    expect(board.error).toMatch(/^costs: must match the gateway's \(FEE_BPS, FEE_PER_SHARE\): a fill of [\d.]+ SPX at [\d.]+ paid 0 in fees, the config's costs give [\d.]+$/);
  }, 60_000);

  it('starts, shows and stops runs over HTTP, refusing a bad config with the key path', async () => {
    const token = 'agent-service-token-0123';
    // The token stands in for an admin's login token: arena runs are an admin's, never a service token's.
    // The runner moves the clock as the admin and publishes with the trading agent's own credential.
    const serviceConfig = {
      GATEWAY_URL: gateway.url, ADMIN_USERNAME: gateway.admin.username, ADMIN_PASSWORD: gateway.admin.password, TRADING_AGENT_TOKEN: gateway.tokens.tradingAgent, MCP_URL: mcpUrl, DATA_DIR: join(dir, 'http'),
    };
    const { app } = await startArenaService(serviceConfig, bearerVerifier({ serviceToken: token, serviceCaller: { role: 'admin', username: 'arena-admin' } }));
    const auth = { authorization: `Bearer ${token}` };
    const hold = { kind: 'rule', name: 'hold', strategy: { name: 'buy-and-hold' } };
    const body = { name: 'over http', market: { symbols: ['SPX'], from: day(100), to: day(3000) }, agents: [hold] };

    const bad = await app.inject({ method: 'POST', url: '/api/v1/arena/runs', headers: auth, payload: { ...body, agents: [hold, { ...hold, name: 'x', strategy: { name: 'sma-cross', fast: 9, slow: 3 } }] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toBe('body.agents.1.strategy.fast: fast must be less than slow');
    expect((await app.inject({ method: 'POST', url: '/api/v1/arena/runs', payload: body })).statusCode).toBe(401);

    // Two POSTs at once: both runs start, each in a market of its own.
    const both = await Promise.all([0, 1].map(() => app.inject({ method: 'POST', url: '/api/v1/arena/runs', headers: auth, payload: body })));
    expect(both.map((r) => r.statusCode)).toEqual([202, 202]);
    const [{ id, run }, other] = both.map((r) => r.json());
    expect(run).toBe(`/api/v1/arena/runs/${id}`);
    expect(other.id).not.toBe(id);
    let status = (await app.inject(run)).json();
    while (status.stepsDone < 3) status = (await new Promise((r) => setTimeout(r, 50)), (await app.inject(run)).json());
    expect(status).toMatchObject({ id, status: 'running', stepsTotal: 2901 });
    const stopped = await app.inject({ method: 'DELETE', url: run, headers: auth });
    expect(stopped.json()).toMatchObject({ id, status: 'stopped', board: { runId: id, status: 'stopped', rows: [expect.objectContaining({ agent: 'hold' }), expect.objectContaining({ agent: 'buy-and-hold' })] } });
    expect(stopped.json().publishError).toBeUndefined();
    expect((await app.inject({ method: 'DELETE', url: other.run, headers: auth })).json()).toMatchObject({ id: other.id, status: 'stopped' });
    expect(await admin.getArenaBoard(id)).toMatchObject({ runId: id, status: 'stopped' });
    expect((await app.inject('/api/v1/arena/runs/nope')).statusCode).toBe(404);

    // A memorization probe needs the gateway's probe series: this gateway has no MARKET_PROBE.
    const probe = await app.inject({ method: 'POST', url: '/api/v1/arena/runs', headers: auth, payload: { ...body, probe: { symbol: 'SPX' } } });
    expect(probe.statusCode).toBe(400);
    expect(probe.json()).toMatchObject({ error: 'validation_failed', message: 'body.probe: the gateway serves no memorization probe: set MARKET_PROBE=SPX (with MARKET_PROVIDER=replay) on the gateway' });
    await app.close();
  }, 120_000);

  it('fails a probe run on a gateway without MARKET_PROBE with one line saying to set it', async () => {
    const config = parseArenaConfig({ name: 'probe', market: { symbols: ['SPX'], from: day(100), to: day(110) }, probe: { symbol: 'SPX' }, agents: [{ kind: 'rule', name: 'hold', strategy: { name: 'buy-and-hold' } }] });
    const board = await startArena({ config, outDir: join(dir, 'no-probe'), mcpUrl, admin, env: {}, log }).done;
    expect(board).toMatchObject({ status: 'failed', error: 'probe: the gateway serves no memorization probe: set MARKET_PROBE=SPX (with MARKET_PROVIDER=replay) on the gateway' });
  }, 60_000);

  it('runs from the command line and replays a recorded run', async () => {
    const file = join(dir, 'cli-config.json');
    writeFileSync(file, JSON.stringify({ name: 'cli', market: { symbols: ['SPX'], from: day(100), to: day(110) }, agents: [{ kind: 'rule', name: 'sma', strategy: { name: 'sma-cross', fast: 2, slow: 4 } }] }));
    const config = { GATEWAY_URL: gateway.url, ADMIN_USERNAME: gateway.admin.username, ADMIN_PASSWORD: gateway.admin.password, MCP_URL: mcpUrl, DATA_DIR: dir };
    const io = () => {
      const out: string[] = [];
      return { out, stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => out.push(t) }, config, log };
    };
    const first = io();
    expect(await runArenaCommand([`--config=${file}`, `--out=${join(dir, 'cli')}`], first)).toBe(0);
    expect(first.out.join('')).toMatch(/ 1 sma +return [\s\S]*sma vs buy-and-hold: Sharpe difference[\s\S]*\nfinished: 11 steps; board in /);
    const replay = io();
    expect(await runArenaCommand([`--replay=${join(dir, 'cli')}`, `--out=${join(dir, 'cli-replay')}`], replay)).toBe(0);
    const boardOf = (d: string) => comparableBoard(JSON.parse(readFileSync(join(dir, d, 'board.json'), 'utf8')));
    expect(boardOf('cli-replay')).toEqual(boardOf('cli'));
    writeFileSync(file, JSON.stringify({ name: 'cli', market: { symbols: ['SPX'], from: day(100), to: day(110) }, agents: [{ kind: 'rule', name: 'sma' }] }));
    const bad = io();
    expect(await runArenaCommand([`--config=${file}`, `--out=${join(dir, 'cli-bad')}`], bad)).toBe(2);
    expect(bad.out.join('')).toBe(`${file}: agents.0.strategy: must be one of buy-and-hold, sma-cross, rsi-reversion, breakout\n`);
    const usage = io();
    expect(await runArenaCommand([`--config=${file}`, `--replay=${join(dir, 'cli')}`], usage)).toBe(2);
    expect(usage.out.join('')).toMatch(/^give at most one of --config and --replay\nusage: main.js arena/);
    const none = io();
    expect(await runArenaCommand([], none)).toBe(2);
    expect(none.out.join('')).toMatch(/^no arena config: give --config or --replay, or set ARENA_CONFIG\n/);

    // The compose worker's way: the config in ARENA_CONFIG, the recording under DATA_DIR/arena/<run id>.
    const hold = { name: 'From env', market: { symbols: ['SPX'], from: day(100), to: day(103) }, agents: [{ kind: 'rule', name: 'hold', strategy: { name: 'buy-and-hold' } }] };
    const fromEnv = { ...io(), config: { ...config, ARENA_CONFIG: JSON.stringify(hold) } };
    expect(await runArenaCommand([], fromEnv)).toBe(0);
    const [, outDir] = fromEnv.out.join('').match(/finished: 4 steps; board in (\S+)\/board\.json/)!;
    expect(outDir).toMatch(new RegExp(`^${join(dir, 'arena', 'from-env-')}`));
    expect(JSON.parse(readFileSync(join(outDir, 'board.json'), 'utf8'))).toMatchObject({ name: 'From env', status: 'finished' });
    const badEnv = { ...io(), config: { ...config, ARENA_CONFIG: '{"name":' } };
    expect(await runArenaCommand([], badEnv)).toBe(2);
    expect(badEnv.out.join('')).toMatch(/^ARENA_CONFIG: \(config\): must be JSON: /);
  }, 120_000);

  it("honours the account header only for the credential issued for that account: an arena agent's token trades its own account and no other", async () => {
    const refusal = (client: GatewayClient) => client.request('GET', '/portfolio').then(() => undefined, (err) => ({ status: err.status, message: err.body.message }));
    const header = (client: GatewayClient, account: string) => client.request('GET', '/portfolio', { headers: { [ACCOUNT_HEADER]: account } });
    const { token } = await admin.createApiToken({ label: 'agent a of r1', account: 'arena:r1:a' });
    const agentA = gateway.client.withToken(token);
    expect(await agentA.getPortfolio()).toMatchObject({ accountId: 'arena:r1:a', cash: 100_000, positions: [] });
    expect(await header(agentA, 'arena:r1:a')).toMatchObject({ accountId: 'arena:r1:a' });
    // Neither mcp-tools' credential, an admin nor another agent's token reaches an agent's account.
    for (const [client, own] of [[gateway.client, 'agent'], [admin, gateway.admin.username], [agentA, 'arena:r1:a']] as const) {
      const refused = await header(client, 'arena:r1:b').then(() => undefined, (err) => ({ status: err.status, field: err.body.details?.[0]?.field }));
      expect(refused).toEqual({ status: 403, field: `headers.${ACCOUNT_HEADER}` });
      expect((await client.getPortfolio()).accountId).toBe(own);
    }
    // An agent's token makes no tokens, and the header never opens another account.
    await expect(agentA.createApiToken({ label: 'more' })).rejects.toMatchObject({ status: 403 });
    expect(await refusal(gateway.client)).toBeUndefined();
  });
});
