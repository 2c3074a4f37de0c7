import { RunLog } from '@tradeyard/agent-live';
import type { ArenaBoard, GatewayClient } from '@tradeyard/gateway-contract';
import { isoDate, type Bar } from '@tradeyard/market-data';
import { memorizationGap, memorizationGapHtml, type MemorizationGap, type PerformanceReport } from '@tradeyard/performance';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { arenaReportHtml, arenaReports, buildBoard, type BoardInput } from './board';
import { ArenaConfigError, type ArenaConfig } from './config';
import { wholeSeries } from './market';
import { newRunId, startArenaRun, type ArenaEventType, type ArenaRun, type ArenaRunOptions, type ArenaRunStatus } from './runner';

export type ProbeLegName = 'real' | 'disguised' | 'synthetic';
export interface ProbeLeg {
  leg: ProbeLegName;
  symbol: string;
  from: string;
  to: string;
}
/** The gateway's probe of the config's symbol: the three legs, on the same number of bars. */
export interface ResolvedProbe {
  symbols: Record<ProbeLegName, string>;
  legs: ProbeLeg[];
  /** Bars of each leg: the real symbol's between from and to. */
  bars: number;
}

/** The disguised series is the real path rescaled: every close relative to the first is the real one's, to rounding. */
const samePath = (a: readonly Bar[], b: readonly Bar[]) =>
  a.length === b.length && a.length > 0 && a.every((bar, i) => Math.abs(bar.close / a[0].close - b[i].close / b[0].close) <= 1e-9 * (b[i].close / b[0].close));

/**
 * Finds the gateway's memorization probe of `config.probe.symbol` (MARKET_PROBE): its two series of
 * source `probe`, which of them is the real path in disguise (its closes move exactly as the real
 * ones; the other is the synthetic path), and the legs' dates: the probe series' dates at the real
 * range's first and last bar. Read from the gateway's bars rather than from the probe's seed, so the
 * runner needs to know nothing of how the gateway built it. It reads them from a market of its own
 * (peekMarket), whose clock it moves to the end of the data; no other market moves.
 * A gateway without the probe or without the symbol is an ArenaConfigError naming the key.
 */
export async function resolveProbe(admin: GatewayClient, config: ArenaConfig): Promise<ResolvedProbe> {
  const symbol = config.probe?.symbol;
  if (!symbol || !('from' in config.market)) throw new ArenaConfigError([{ field: 'probe', rule: 'is not set (or the market is live)' }]);
  const { from, to } = config.market;
  const listed = await admin.listSymbols();
  if (!listed.some((s) => s.symbol === symbol)) throw new ArenaConfigError([{ field: 'probe.symbol', rule: `the gateway has no symbol ${symbol}` }]);
  const probeSymbols = listed.filter((s) => s.source === 'probe').map((s) => s.symbol);
  if (probeSymbols.length !== 2) {
    throw new ArenaConfigError([{ field: 'probe', rule: `the gateway serves no memorization probe: set MARKET_PROBE=${symbol} (with MARKET_PROVIDER=replay) on the gateway` }]);
  }
  const [real, ...candidates] = await wholeSeries(admin, [symbol, ...probeSymbols]);
  const disguisedAt = candidates.findIndex((bars) => samePath(bars, real));
  if (disguisedAt < 0) throw new ArenaConfigError([{ field: 'probe.symbol', rule: `the gateway's probe (${probeSymbols.join(', ')}) is not built from ${symbol}: set MARKET_PROBE=${symbol} on the gateway` }]);
  const disguised = candidates[disguisedAt];
  const synthetic = candidates[1 - disguisedAt];
  if (synthetic.length !== disguised.length || synthetic.some((bar, i) => bar.time !== disguised[i].time)) {
    throw new ArenaConfigError([{ field: 'probe', rule: `the gateway's synthetic probe series ${probeSymbols[1 - disguisedAt]} is not on the disguised series' dates` }]);
  }
  const first = real.findIndex((bar) => isoDate(bar.time) >= from);
  const last = real.findLastIndex((bar) => isoDate(bar.time) <= to);
  if (first < 0 || last < first) throw new ArenaConfigError([{ field: 'market.from', rule: `the gateway has no bar of ${symbol} between ${from} and ${to}` }]);
  const shifted = { from: isoDate(disguised[first].time), to: isoDate(disguised[last].time) };
  const symbols = { real: symbol, disguised: probeSymbols[disguisedAt], synthetic: probeSymbols[1 - disguisedAt] };
  return {
    symbols,
    legs: [
      { leg: 'real', symbol, from, to },
      { leg: 'disguised', symbol: symbols.disguised, ...shifted },
      { leg: 'synthetic', symbol: symbols.synthetic, ...shifted },
    ],
    bars: last - first + 1,
  };
}

/** Each agent's gap between its legs (those that ran all three): the statistics, the differences and the recall verdict. */
function probeGaps(config: ArenaConfig, probe: ResolvedProbe, inputs: Partial<Record<ProbeLegName, BoardInput>>): Array<{ agent: string; gap: MemorizationGap }> {
  const reportsOf = (leg: ProbeLegName) => new Map((inputs[leg] ? arenaReports(inputs[leg]).reports : []).map(({ agent, report }) => [agent.name, report]));
  const [real, disguised, synthetic] = (['real', 'disguised', 'synthetic'] as const).map(reportsOf);
  return config.agents.flatMap(({ name }) => {
    // The gap table's columns name the leg: the reports all carry the agent's name.
    const named = (report: PerformanceReport | undefined, leg: ProbeLegName) => report && { ...report, name: `${name} on ${probe.symbols[leg]}` };
    const [r, s, d] = [named(real.get(name), 'real'), named(synthetic.get(name), 'synthetic'), named(disguised.get(name), 'disguised')];
    if (!r || !s || !d) return [];
    return [{ agent: name, gap: memorizationGap(r, s, d, { seed: config.seed }) }];
  });
}

/**
 * A memorization probe run (config key `probe`): the agents trade the real symbol, then its
 * disguised copy and the synthetic path, each leg a run of its own (startArenaRun: its own market,
 * accounts, OUT/<leg>/ with its own recording and board) over the same number of bars, the three at
 * once. OUT/board.json is the real leg's board under this run's id with the probe's legs and
 * each agent's gap table; OUT/report.html adds the gap tables to the real leg's report. A replay
 * replays each leg from OUT/<leg>.
 */
export function startProbeRun(options: ArenaRunOptions, resolved?: ResolvedProbe): ArenaRun {
  const { config, admin, outDir, log } = options;
  const runId = options.runId ?? newRunId(config.name);
  const runLog = new RunLog<ArenaEventType>(outDir, 'run');
  const state: ArenaRunStatus = { runId, name: config.name, status: 'running', stepsDone: 0, stepsTotal: null, currentDate: null, outDir };
  const legRuns: Array<{ leg: ProbeLeg; run: ArenaRun }> = [];
  const inputs: Partial<Record<ProbeLegName, BoardInput>> = {};
  let probe: ResolvedProbe | undefined = resolved;
  let stopRequested = false;
  let published: ArenaBoard | null = null;

  const status = (): ArenaRunStatus => {
    const legs = legRuns.map(({ run }) => run.status());
    const done = legs.reduce((sum, leg) => sum + leg.stepsDone, 0);
    return { ...state, stepsDone: done, currentDate: legs[0]?.currentDate ?? null, publishError: legs.find((leg) => leg.publishError)?.publishError };
  };
  /** The real leg's board input (an empty one before it started) under this run's id, name and progress. */
  const realInput = (): BoardInput => {
    const s = status();
    const market = config.market as { from: string; to: string };
    const real = inputs.real ?? legRuns[0]?.run.input() ?? { mode: 'lockstep', from: market.from, to: market.to, symbols: config.market.symbols, startingCash: config.startingCash, seed: config.seed, agents: [] };
    return { ...real, runId, name: config.name, status: s.status, stepsDone: s.stepsDone, stepsTotal: s.stepsTotal, currentDate: s.currentDate, error: s.error, now: Date.now() };
  };
  const board = (gaps: ReturnType<typeof probeGaps>): ArenaBoard => {
    const base = buildBoard(realInput());
    if (!probe) return base;
    return {
      ...base,
      probe: {
        symbols: probe.symbols,
        legs: legRuns.map(({ leg, run }) => ({ ...leg, runId: run.runId, status: run.status().status, stepsDone: run.status().stepsDone })),
        agents: gaps.map(({ agent, gap }) => ({ agent, rows: gap.rows, recall: gap.recall, verdict: gap.verdict })),
      },
    };
  };

  const done = (async () => {
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, 'config.json'), JSON.stringify(config, null, 2));
    runLog.record('run_start', { runId, name: config.name, replayOf: options.replayOf ?? null, mode: 'lockstep', probe: config.probe });
    try {
      probe ??= await resolveProbe(admin, config);
      state.stepsTotal = probe.bars * probe.legs.length;
      // Each leg in a market of its own: the three run at once.
      for (const leg of probe.legs) {
        const legConfig: ArenaConfig = { ...config, name: `${config.name} (${leg.leg} ${leg.symbol})`, market: { symbols: [leg.symbol], from: leg.from, to: leg.to }, probe: undefined };
        const run = startArenaRun({
          ...options, config: legConfig, runId: `${runId}-${leg.leg}`, outDir: join(outDir, leg.leg), replayOf: options.replayOf && join(options.replayOf, leg.leg),
        });
        legRuns.push({ leg, run });
        runLog.record('leg', { leg: leg.leg, symbol: leg.symbol, from: leg.from, to: leg.to, runId: run.runId });
      }
      const boards = await Promise.all(legRuns.map(({ run }) => run.done));
      legRuns.forEach(({ leg, run }) => (inputs[leg.leg] = run.input()));
      const failed = legRuns.findIndex((_, k) => boards[k].status === 'failed');
      if (failed >= 0) {
        const { leg } = legRuns[failed];
        throw new Error(`the ${leg.leg} leg (${leg.symbol}) failed: ${boards[failed].error ?? 'no reason given'}`);
      }
      state.status = stopRequested ? 'stopped' : 'finished';
    } catch (err) {
      state.status = 'failed';
      state.error = (err as Error).message;
      runLog.record('error', { message: state.error });
      log.error({ runId, err: state.error }, 'arena probe run failed');
    }
    // Each gap runs a bootstrap: computed once, for the board and the report.
    const gaps = probe ? probeGaps(config, probe, inputs) : [];
    const final = board(gaps);
    published = final;
    await writeFile(join(outDir, 'board.json'), JSON.stringify(final, null, 2));
    await (options.publisher ?? admin).publishArenaBoard(final).catch((err) => (state.publishError = `publishing the board failed: ${(err as Error).message}`));
    if (inputs.real && probe) {
      const sections = gaps.map(({ agent, gap }) => memorizationGapHtml(gap, `Memorization probe: ${agent}`));
      const report = arenaReportHtml(realInput(), sections);
      if (report) await writeFile(join(outDir, 'report.html'), report).catch((err) => log.error({ err }, 'cannot write the probe report'));
    }
    runLog.record('board', { board: final });
    runLog.record('run_end', { status: state.status, steps: final.stepsDone });
    await runLog.flush().catch((err) => log.error({ err }, 'cannot write the probe run log'));
    return final;
  })();

  return {
    runId,
    status,
    board: () => published ?? legRuns.at(-1)?.run.board() ?? null,
    stop: () => {
      stopRequested = true;
      for (const { run } of legRuns) void run.stop();
      return done;
    },
    done,
    input: realInput,
  };
}

/** Starts the run a config describes: a memorization probe's three legs, or one arena run. */
export const startArena = (options: ArenaRunOptions, resolved?: ResolvedProbe): ArenaRun => (options.config.probe ? startProbeRun(options, resolved) : startArenaRun(options));
