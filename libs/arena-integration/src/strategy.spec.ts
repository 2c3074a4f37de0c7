// An arena agent of kind strategy: a user's SDK strategy file trading its own arena account in
// lockstep beside a rule agent and an LLM agent, on the real gateway (in-process, PGlite) and the
// real MCP tools; and the HTTP API taking strategies by name only.
import type { ArenaBoard } from '@tradeyard/gateway-contract';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { bearerVerifier, createLogger } from '@tradeyard/service-kit';
import { runArenaCommand } from '@tradeyard/arena';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelReply, startArenaHarness, startArenaService, startModelApi, type ArenaHarness } from './__fixtures__/harness';

const spx = loadSp500();
const day = (i: number) => isoDate(spx[i].time);
const log = createLogger('arena-strategy-test', 'silent');
/** 2001-05-21: SPX and SYN000 have risen over the last 60 bars, so the rotation buys at once. */
const START = 348;
const rotationFile = join(__dirname, '../../../examples/strategies/momentum-rotation.ts');

let harness: ArenaHarness;
/** Outside the repository, as a user's own folder. */
let home: string;

beforeAll(async () => {
  harness = await startArenaHarness({ startDate: day(START), env: { SYNTHETIC_SYMBOLS: '2' } });
  home = mkdtempSync(join(tmpdir(), 'arena-strategy-'));
}, 120_000);
afterAll(async () => {
  await harness.close();
  rmSync(home, { recursive: true, force: true });
});

const serviceConfig = () => ({
  GATEWAY_URL: harness.gateway.url, ADMIN_USERNAME: harness.gateway.admin.username, ADMIN_PASSWORD: harness.gateway.admin.password,
  TRADING_AGENT_TOKEN: harness.gateway.tokens.tradingAgent, MCP_URL: harness.mcpUrl, DATA_DIR: join(home, 'data'),
});
const ordersOf = async (accountId: string) =>
  harness.gateway.gateway.db.query<{ account_id: string; key: string | null; status: string; filled: string }>(
    'SELECT account_id, idempotency_key AS key, status, filled_quantity AS filled FROM orders WHERE account_id = $1 ORDER BY created_at, id',
    [accountId],
  );

describe('arena agent of kind strategy', () => {
  it('trades a strategy file from the command-line config beside a rule and an LLM agent, on its own account, and the board ranks all three', async () => {
    copyFileSync(rotationFile, join(home, 'momentum-rotation.ts'));
    const model = await startModelApi((body) => modelReply(body, 2));
    process.env.ARENA_STRATEGY_TEST_API_KEY = 'sk-test';
    const file = join(home, 'arena.json');
    // The file: path is relative to the config file's folder.
    writeFileSync(
      file,
      JSON.stringify({
        name: 'strategy beside rule and llm',
        market: { symbols: ['SPX', 'SYN000', 'SYN001'], from: day(START), to: day(START + 19) },
        agents: [
          { kind: 'strategy', name: 'rotation', strategy: 'file:./momentum-rotation.ts', params: { lookback: 60, top: 1 } },
          { kind: 'rule', name: 'sma', strategy: { name: 'sma-cross', fast: 3, slow: 8 } },
          { kind: 'llm', name: 'llm', baseUrl: model.base, model: 'model-a', apiKeyVar: 'ARENA_STRATEGY_TEST_API_KEY', maxSteps: 4 },
        ],
      }),
    );
    const out: string[] = [];
    const write = { write: (t: string) => out.push(t) };
    const code = await runArenaCommand([`--config=${file}`, `--out=${join(home, 'run')}`], { stdout: write, stderr: write, config: serviceConfig(), log }).finally(() => {
      delete process.env.ARENA_STRATEGY_TEST_API_KEY;
      return model.close();
    });
    expect(out.join('')).toMatch(/finished: 20 steps; board in /);
    expect(code).toBe(0);

    const board = JSON.parse(readFileSync(join(home, 'run', 'board.json'), 'utf8')) as ArenaBoard;
    expect(board).toMatchObject({ status: 'finished', stepsDone: 20 });
    const ranked = board.rows.filter((r) => r.rank !== null);
    expect(ranked.map((r) => [r.agent, r.kind]).sort()).toEqual([['llm', 'llm'], ['rotation', 'strategy'], ['sma', 'rule']]);
    expect(ranked.map((r) => r.rank).sort()).toEqual([1, 2, 3]);
    expect(board.rows.find((r) => r.agent === 'rotation')!.statistics.trades).toBeGreaterThan(0);

    // Its orders filled on its own account, each named by the agent; no other account holds one of them.
    const account = `arena:${board.runId}:rotation`;
    const own = await ordersOf(account);
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((o) => o.status === 'filled' && Number(o.filled) > 0 && o.key!.startsWith('mcp-rotation-'))).toBe(true);
    const named = await harness.gateway.gateway.db.query<{ account_id: string }>("SELECT DISTINCT account_id FROM orders WHERE idempotency_key LIKE 'mcp-rotation-%'");
    expect(named).toEqual([{ account_id: account }]);
    for (const other of ['sma', 'llm']) expect((await ordersOf(`arena:${board.runId}:${other}`)).every((o) => !o.key?.startsWith('mcp-rotation-'))).toBe(true);

    // Its decisions, turns and fills are in the recording, and the config there names the file it ran.
    const events = readFileSync(join(home, 'run', 'run.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const decisions = events.filter((e) => e.type === 'decision' && e.agent === 'rotation');
    expect(decisions.map((e) => e.date)).toEqual([day(START), day(spx.findIndex((_bar, i) => i > START && day(i).slice(0, 7) !== day(START).slice(0, 7)))]);
    expect(events.filter((e) => e.type === 'turn' && e.agent === 'rotation')).toHaveLength(20);
    expect(events.filter((e) => e.type === 'fill' && e.agent === 'rotation').length).toBe(own.length);
    expect(JSON.parse(readFileSync(join(home, 'run', 'config.json'), 'utf8')).agents[0].strategy).toBe(`file:${join(home, 'momentum-rotation.ts')}`);
  }, 300_000);

  it('stops the command with one line naming the key when the strategy cannot run', async () => {
    const file = join(home, 'bad.json');
    const market = { symbols: ['SPX'], from: day(START), to: day(START + 2) };
    const run = async (agent: object) => {
      writeFileSync(file, JSON.stringify({ name: 'bad', market, agents: [agent] }));
      const out: string[] = [];
      const write = { write: (t: string) => out.push(t) };
      return [await runArenaCommand([`--config=${file}`, `--out=${join(home, 'bad')}`], { stdout: write, stderr: write, config: serviceConfig(), log }), out.join('')];
    };
    copyFileSync(rotationFile, join(home, 'momentum-rotation.ts'));
    expect(await run({ kind: 'strategy', name: 'r', strategy: 'file:momentum-rotation.ts', params: { lookback: 500 } })).toEqual([2, `${file}: agents.0.params.lookback: must be at most 250 (${join(home, 'momentum-rotation.ts')})\n`]);
    expect(await run({ kind: 'strategy', name: 'r', strategy: 'file:missing.ts' })).toEqual([2, `${file}: agents.0.strategy: ${join(home, 'missing.ts')}: file: cannot be read (ENOENT)\n`]);
  }, 60_000);

  it('over HTTP takes a strategy by its name in STRATEGIES_DIR only: a file: path is refused with 400 naming the field', async () => {
    const strategies = join(home, 'strategies');
    mkdirSync(strategies, { recursive: true });
    copyFileSync(rotationFile, join(strategies, 'momentum-rotation.ts'));
    const token = 'agent-service-token-0123';
    const { app } = await startArenaService({ ...serviceConfig(), STRATEGIES_DIR: strategies }, bearerVerifier({ serviceToken: token, serviceCaller: { role: 'admin', username: 'arena-admin' } }));
    const post = (agent: object) =>
      app.inject({ method: 'POST', url: '/api/v1/arena/runs', headers: { authorization: `Bearer ${token}` }, payload: { name: 'over http', market: { symbols: ['SPX'], from: day(START), to: day(START + 200) }, agents: [agent] } });

    const path = await post({ kind: 'strategy', name: 'r', strategy: `file:${join(strategies, 'momentum-rotation.ts')}` });
    expect(path.statusCode).toBe(400);
    expect(path.json()).toMatchObject({ error: 'validation_failed', message: 'body.agents.0.strategy: must be the name of a strategy in STRATEGIES_DIR: the HTTP API runs no file paths or code' });
    const unknown = await post({ kind: 'strategy', name: 'r', strategy: 'no-such-strategy' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toBe('body.agents.0.strategy: must be one of buy-and-hold, sma-cross, rsi-reversion, breakout, momentum-rotation or the path of a strategy file');
    const params = await post({ kind: 'strategy', name: 'r', strategy: 'momentum-rotation', params: { top: 9 } });
    expect(params.statusCode).toBe(400);
    expect(params.json().message).toBe(`body.agents.0.params.top: must be at most 5 (${join(strategies, 'momentum-rotation.ts')})`);

    const started = await post({ kind: 'strategy', name: 'r', strategy: 'momentum-rotation', params: { lookback: 60 } });
    expect(started.statusCode).toBe(202);
    const { run } = started.json();
    let status = (await app.inject(run)).json();
    while (status.stepsDone < 2) status = (await new Promise((r) => setTimeout(r, 50)), (await app.inject(run)).json());
    const stopped = (await app.inject({ method: 'DELETE', url: run, headers: { authorization: `Bearer ${token}` } })).json();
    expect(stopped).toMatchObject({ status: 'stopped', board: { rows: [expect.objectContaining({ agent: 'r', kind: 'strategy' }), expect.objectContaining({ agent: 'buy-and-hold' })] } });
    expect(stopped.error).toBeUndefined();
    await app.close();
  }, 120_000);
});
