// The memorization probe as one arena run: on a gateway with MARKET_PROBE=SPX, every agent trades
// the real SPX, its disguised copy and the synthetic twin, and the board carries the gap table.
import type { ArenaBoard, GatewayClient } from '@tradeyard/gateway-contract';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { memorizationGap, performanceReport, type PerformanceReport } from '@tradeyard/performance';
import { createLogger } from '@tradeyard/service-kit';
import { comparableBoard, parseArenaConfig, readRecording, startArena, type ArenaConfigInput } from '@tradeyard/arena';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelReply, startArenaHarness, startModelApi, type ArenaHarness } from './__fixtures__/harness';

const spx = loadSp500();
const day = (i: number) => isoDate(spx[i].time);
const log = createLogger('arena-probe-test', 'silent');
const shifted = (date: string) => `${Number(date.slice(0, 4)) + 28}${date.slice(4)}`;

let harness: ArenaHarness;
let admin: GatewayClient;
let dir: string;

beforeAll(async () => {
  harness = await startArenaHarness({ startDate: day(100), env: { SYNTHETIC_SYMBOLS: '2', MARKET_PROBE: 'SPX' } });
  admin = harness.admin;
  dir = mkdtempSync(join(tmpdir(), 'arena-probe-'));
}, 120_000);
afterAll(async () => {
  await harness.close();
  rmSync(dir, { recursive: true, force: true });
});

const config = (modelBase: string, overrides: Partial<ArenaConfigInput> = {}): ArenaConfigInput => ({
  name: 'Probe',
  seed: 5,
  market: { symbols: ['SPX'], from: day(100), to: day(129) },
  probe: { symbol: 'SPX' },
  agents: [
    { kind: 'llm', name: 'llm', baseUrl: modelBase, model: 'model-a', apiKeyVar: 'ARENA_API_KEY', maxSteps: 4 },
    { kind: 'rule', name: 'sma', strategy: { name: 'sma-cross', fast: 3, slow: 8 } },
    { kind: 'rule', name: 'hold', strategy: { name: 'buy-and-hold' } },
  ],
  ...overrides,
});

/**
 * An agent's equity curve on one leg as the recording has it: its equity at each turn, the last
 * point being the account after its last orders (cash and positions from the gateway) marked at the
 * leg's last close.
 */
async function curveOf(legDir: string, leg: { symbol: string; to: string }, agent: string, accountId: string) {
  const turns = readFileSync(join(legDir, 'run.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.type === 'turn' && e.agent === agent);
  const time = turns.map((t) => Date.parse(`${t.date}T00:00:00Z`));
  const equity = turns.map((t) => t.equity as number);
  const portfolio = await harness.gateway.gateway.broker.portfolio(accountId);
  const [last] = await admin.getBars(leg.symbol, { to: leg.to, limit: 1 });
  equity[equity.length - 1] = portfolio.positions.reduce((sum, p) => sum + p.quantity * last.close, portfolio.cash);
  return { time, equity };
}

describe('memorization probe run', () => {
  it('runs each agent on the real, the disguised and the synthetic series, writes the gap table, and replays exactly', async () => {
    const model = await startModelApi((body) => modelReply(body, 3));
    const out = join(dir, 'run');
    const run = startArena({ config: parseArenaConfig(config(model.base)), outDir: out, mcpUrl: harness.mcpUrl, admin, env: { ARENA_API_KEY: 'sk' }, log });
    const board = await run.done;
    await model.close();

    expect(board).toMatchObject({ status: 'finished', stepsDone: 90, stepsTotal: 90, from: day(100), to: day(129), symbols: ['SPX'] });
    expect(run.status()).toMatchObject({ status: 'finished', stepsDone: 90, stepsTotal: 90 });
    const probe = board.probe!;
    expect(probe.symbols.real).toBe('SPX');
    expect([probe.symbols.disguised, probe.symbols.synthetic].sort()).toEqual(['PRBA', 'PRBB']);
    // Three legs, one after the other, each on the same number of bars; the probe legs 28 years on.
    expect(probe.legs).toEqual([
      { leg: 'real', symbol: 'SPX', from: day(100), to: day(129), runId: `${run.runId}-real`, status: 'finished', stepsDone: 30 },
      { leg: 'disguised', symbol: probe.symbols.disguised, from: shifted(day(100)), to: shifted(day(129)), runId: `${run.runId}-disguised`, status: 'finished', stepsDone: 30 },
      { leg: 'synthetic', symbol: probe.symbols.synthetic, from: shifted(day(100)), to: shifted(day(129)), runId: `${run.runId}-synthetic`, status: 'finished', stepsDone: 30 },
    ]);
    // The disguised series moves exactly as SPX does (the probe's promise), the synthetic one does not.
    const closes = async (symbol: string, from: string, to: string) => (await admin.getBars(symbol, { from, to })).map((b) => b.close);
    await admin.controlClock({ action: 'restart', startDate: '2099-12-31' });
    const [real, disguised, synthetic] = await Promise.all(probe.legs.map((l) => closes(l.symbol, l.from, l.to)));
    expect(disguised.map((c) => c / disguised[0])).toEqual(real.map((c) => expect.closeTo(c / real[0], 9)));
    expect(synthetic.map((c) => c / synthetic[0])).not.toEqual(real.map((c) => expect.closeTo(c / real[0], 9)));

    // Each leg traded its own accounts and was recorded in its own folder.
    const legBoards = Object.fromEntries(probe.legs.map((l) => [l.leg, JSON.parse(readFileSync(join(out, l.leg, 'board.json'), 'utf8')) as ArenaBoard]));
    for (const l of probe.legs) expect(legBoards[l.leg]).toMatchObject({ runId: l.runId, status: 'finished', stepsDone: 30, stepsTotal: 30, symbols: [l.symbol] });
    // The board's rows are the real leg's.
    expect(comparableBoard({ ...board, probe: undefined }).rows).toEqual(comparableBoard(legBoards.real).rows);

    // The gap table, against reports computed here from the three legs' equity curves.
    expect(probe.agents.map((a) => a.agent)).toEqual(['llm', 'sma', 'hold']);
    for (const agent of probe.agents) {
      const reportOf = async (leg: 'real' | 'disguised' | 'synthetic'): Promise<PerformanceReport> => {
        const row = legBoards[leg].rows.find((r) => r.agent === agent.agent)!;
        return performanceReport({ name: `${agent.agent} on ${probe.symbols[leg]}`, initialCash: 100_000, ...(await curveOf(join(out, leg), probe.legs.find((l) => l.leg === leg)!, agent.agent, row.accountId!)) });
      };
      const expected = memorizationGap(await reportOf('real'), await reportOf('synthetic'), await reportOf('disguised'), { seed: 5 });
      for (const key of ['totalReturn', 'cagr', 'sharpe', 'sortino', 'maxDrawdown']) {
        const got = agent.rows.find((r) => r.key === key)!;
        const want = expected.rows.find((r) => r.key === key)!;
        for (const column of ['real', 'synthetic', 'disguised', 'realMinusSynthetic', 'realMinusDisguised'] as const) expect(got[column]).toBeCloseTo(want[column]!, 6);
      }
      // Trades come from the fills: the legs' own boards count them.
      const trades = agent.rows.find((r) => r.key === 'trades')!;
      expect([trades.real, trades.disguised, trades.synthetic]).toEqual((['real', 'disguised', 'synthetic'] as const).map((leg) => legBoards[leg].rows.find((r) => r.agent === agent.agent)!.statistics.trades));
      expect(agent.recall.sharedBars).toBe(29);
      expect(agent.recall.sharpeDifference).toBeCloseTo(expected.recall.sharpeDifference, 6);
      expect(agent.verdict).toBe(expected.verdict);
    }
    // Buy-and-hold trades what it sees: on the same prices under another name it does the same.
    const hold = probe.agents.find((a) => a.agent === 'hold')!;
    expect(hold.recall.distinguishable).toBe(false);
    expect(hold.rows.find((r) => r.key === 'totalReturn')!.realMinusDisguised).toBeCloseTo(0, 3);

    const report = readFileSync(join(out, 'report.html'), 'utf8');
    for (const agent of probe.agents) {
      expect(report).toContain(`<h2>Memorization probe: ${agent.agent}</h2>`);
      expect(report).toContain(agent.verdict);
    }
    expect(await admin.getArenaBoard(run.runId)).toEqual(board);

    // The replay: each leg from its recording, the model's replies served back; the same board.
    const recording = await readRecording(out);
    expect(recording.config.probe).toEqual({ symbol: 'SPX' });
    const again = startArena({ config: recording.config, outDir: join(dir, 'replay'), mcpUrl: harness.mcpUrl, admin, env: {}, log, replayOf: out });
    const replayed = await again.done;
    expect(replayed.status).toBe('finished');
    expect(comparableBoard(replayed)).toEqual(comparableBoard(board));
  }, 600_000);

  it('refuses a probe of a symbol the gateway lacks, naming the key', async () => {
    const board = await startArena({
      config: parseArenaConfig(config('http://127.0.0.1:1/v1', { market: { symbols: ['NOPE'], from: day(100), to: day(110) }, probe: { symbol: 'NOPE' }, agents: [{ kind: 'rule', name: 'hold', strategy: { name: 'buy-and-hold' } }] })),
      outDir: join(dir, 'nope'), mcpUrl: harness.mcpUrl, admin, env: {}, log,
    }).done;
    expect(board).toMatchObject({ status: 'failed', error: 'probe.symbol: the gateway has no symbol NOPE' });
  }, 60_000);
});
