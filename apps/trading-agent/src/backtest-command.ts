import { calendarDateSchema } from '@tradeyard/gateway-contract';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  backtestOptionsSchema,
  backtestRobustness,
  type BarColumns,
  expandStrategyGrid,
  gridHeatmap,
  type GridOutcome,
  progressBar,
  type ProgressStream,
  renderHtmlReport,
  runBacktest,
  runGrid,
  runWalkForward,
  summarize,
  walkForwardSchema,
} from '@tradeyard/backtest';
import { heatmapText, robustnessText } from '@tradeyard/performance';
import { parseConfig, ConfigError } from '@tradeyard/service-kit';
import { createStrategy, describeIssues, issueText, strategySpecSchema } from '@tradeyard/strategies';
import { z } from 'zod';
import { agentConfigSchema } from './config';
import { DataError, loadCsvBars, sliceByDate, sp500Columns } from './data';
import { bestBySharpe } from './jobs';

export interface CommandIo {
  stdout: ProgressStream;
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  /** The script grid worker threads start: the bundle itself in production. */
  workerFile: string;
}

export const BACKTEST_USAGE =
  'usage: main.js backtest [--data=sp500|FILE.csv] [--symbol=SYM] [--from=YYYY-MM-DD] [--to=YYYY-MM-DD] ' +
  '--strategy=buy-and-hold|sma-cross|rsi-reversion|breakout [--fast=N --slow=N | --period=N --buy-below=X --sell-above=X | ' +
  '--entry-period=N --exit-period=N] (a comma list runs a grid) [--initial-cash=X] [--whole-shares] [--fee-per-trade=X] ' +
  '[--fee-bps=X] [--slippage-bps=X] [--bars-per-year=N] [--workers=N] [--out=FILE.json] [--report=FILE.html] ' +
  '[--train-bars=N --test-bars=N [--step-bars=N] [--metric=sharpe|sortino|totalReturn|cagr|maxDrawdown|winRate]] (walk-forward over the grid)';
export const WORKER_USAGE = 'usage: main.js backtest-worker [--spec=FILE.json]   (else BACKTEST_SPEC_FILE, else BACKTEST_SPEC as JSON)';

/** A bad command-line argument: exit 2 with a line naming it and the usage. */
class UsageError extends Error {}

const kebab = (field: string) => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

const STRATEGY_PARAMS = ['fast', 'slow', 'period', 'buy-below', 'sell-above', 'entry-period', 'exit-period'] as const;
const NUMBER_OPTIONS = ['initial-cash', 'fee-per-trade', 'fee-bps', 'slippage-bps', 'bars-per-year'] as const;
const WALK_OPTIONS = ['train-bars', 'test-bars', 'step-bars', 'metric'] as const;

const numberArg = (flag: string, text: string) => {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag}: must be a number, got "${text}"`);
  return n;
};

/** Node's parseArgs errors quote the option; keep just that and say what is wrong with it. */
function usageFromParseError(err: Error): UsageError {
  const option = /'([^' ]+)/.exec(err.message)?.[1];
  if (!option) return new UsageError(err.message);
  if ((err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`${option}: is not a known argument`);
  if ((err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new UsageError(`${option}: unexpected argument (options are --name=value)`);
  return new UsageError(`${option}: ${err.message.replace(/^Option '[^']+' /, '')}`);
}

function loadData(data: string, symbol: string | undefined, from?: string, to?: string): BarColumns {
  for (const [flag, value] of [['from', from], ['to', to]] as const) {
    const date = value === undefined ? undefined : calendarDateSchema.safeParse(value);
    if (date && !date.success) throw new UsageError(`--${flag}: ${date.error.issues[0].message}, got "${value}"`);
  }
  try {
    if (data === 'sp500') return sliceByDate(sp500Columns(), from, to);
    if (/\.csv$/i.test(data)) return sliceByDate(loadCsvBars(data, symbol), from, to);
  } catch (err) {
    if (err instanceof DataError) throw new UsageError(`--data: ${err.message}`);
    throw err;
  }
  throw new UsageError(`--data: must be sp500 or the path of a .csv file, got "${data}"`);
}

/** The walk-forward windows when --train-bars or --test-bars is given, naming the flag of a bad one. */
function parseWalk(str: (k: string) => string | undefined) {
  if (str('train-bars') === undefined && str('test-bars') === undefined) {
    const stray = WALK_OPTIONS.find((flag) => str(flag) !== undefined);
    if (stray) throw new UsageError(`--${stray}: only with --train-bars and --test-bars (a walk-forward)`);
    return undefined;
  }
  const raw: Record<string, unknown> = {};
  for (const flag of WALK_OPTIONS) {
    const value = str(flag);
    if (value !== undefined) raw[camel(flag)] = flag === 'metric' ? value : numberArg(flag, value);
  }
  const parsed = walkForwardSchema.safeParse(raw);
  if (!parsed.success) {
    const first = describeIssues(parsed.error)[0];
    throw new UsageError(`--${first.field === '(body)' ? 'train-bars' : kebab(first.field)}: ${first.rule}`);
  }
  return parsed.data;
}

/** Validates backtest options, naming the command-line flag of a bad one. */
function parseOptions(raw: Record<string, unknown>) {
  const parsed = backtestOptionsSchema.safeParse(raw);
  if (!parsed.success) {
    const first = describeIssues(parsed.error)[0];
    throw new UsageError(`--${kebab(first.field)}: ${first.rule}`);
  }
  return parsed.data;
}

/** The message for a strategy spec that fails validation, in command-line terms. */
function specUsageError(spec: Record<string, unknown>, error: z.ZodError): UsageError {
  const first = error.issues[0];
  if (first.code === 'unrecognized_keys') return new UsageError(`--${kebab(first.keys[0])}: is not a parameter of ${String(spec.name)}`);
  const field = String(first.path[0] ?? 'name');
  return new UsageError(`${field === 'name' ? '--strategy' : `--${kebab(field)}`}: ${first.message}`);
}

function writeOutput(path: string, text: string) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** Runs a grid on worker threads with a progress bar on a terminal. */
async function runGridWithProgress(columns: BarColumns, specs: Array<Record<string, unknown>>, options: z.infer<typeof backtestOptionsSchema>, workers: number | undefined, io: CommandIo) {
  const bar = progressBar(`grid ${specs.length} runs`, io.stdout);
  const runs = await runGrid(
    { datasets: [columns], jobs: specs.map((strategy) => ({ dataset: 0, strategy })), options },
    { workerFile: io.workerFile, workers, onProgress: bar.update },
  );
  bar.done(specs.length);
  return runs;
}

/** Grid output: every run's metrics (or why it could not run), the best run by Sharpe and the Sharpe heatmap of the first two parameters it varies. */
function gridJson(columns: BarColumns, runs: GridOutcome[]) {
  return { symbol: columns.symbol, bars: columns.length, runs, best: bestBySharpe(runs), heatmap: gridHeatmap(runs) };
}

const oneLine = (s: { strategy: string; symbol: string; bars: number; totalReturn: number; cagr: number; sharpe: number; maxDrawdown: number; trades: number }) =>
  `${s.strategy} on ${s.symbol} (${s.bars} bars): return ${(s.totalReturn * 100).toFixed(2)}%, CAGR ${(s.cagr * 100).toFixed(2)}%, ` +
  `Sharpe ${s.sharpe.toFixed(3)}, max drawdown ${(s.maxDrawdown * 100).toFixed(2)}%, ${s.trades} trades\n`;

async function backtest(args: string[], io: CommandIo): Promise<number> {
  const strings = ['data', 'symbol', 'from', 'to', 'strategy', 'out', 'report', 'workers', ...STRATEGY_PARAMS, ...NUMBER_OPTIONS, ...WALK_OPTIONS] as const;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: { ...Object.fromEntries(strings.map((s) => [s, { type: 'string' as const }])), 'whole-shares': { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw usageFromParseError(err as Error);
  }
  const str = (k: string) => values[k] as string | undefined;
  const name = str('strategy');
  if (!name) throw new UsageError('--strategy: is required');

  const spec: Record<string, unknown> = { name };
  for (const flag of STRATEGY_PARAMS) {
    const value = str(flag);
    if (value === undefined) continue;
    const list = value.split(',').map((v) => numberArg(flag, v));
    spec[camel(flag)] = list.length > 1 ? list : list[0];
  }
  const options = parseOptions({
    ...Object.fromEntries(NUMBER_OPTIONS.flatMap((flag) => (str(flag) === undefined ? [] : [[camel(flag), numberArg(flag, str(flag)!)]]))),
    ...(values['whole-shares'] ? { wholeShares: true } : {}),
  });
  const workersArg = str('workers');
  const workers = workersArg === undefined ? undefined : numberArg('workers', workersArg);
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1)) throw new UsageError('--workers: must be a whole number of at least 1');

  const specs = expandStrategyGrid(spec);
  const checked = specs.map((s) => strategySpecSchema.safeParse(s));
  if (checked.every((c) => !c.success)) throw specUsageError(specs[0], (checked[0] as { error: z.ZodError }).error);
  const out = str('out');
  const report = str('report');
  if (specs.length > 1 && report) throw new UsageError('--report: only for a single backtest, not a grid');
  const columns = loadData(str('data') ?? 'sp500', str('symbol'), str('from'), str('to'));

  const walk = parseWalk(str);
  if (walk) {
    if (report) throw new UsageError('--report: only for a single backtest, not a walk-forward');
    const bar = progressBar(`walk-forward ${specs.length} candidates`, io.stdout);
    if (walk.trainBars + walk.testBars > columns.length) {
      throw new UsageError(`--train-bars: trainBars + testBars (${walk.trainBars + walk.testBars}) must be at most the bars of the data (${columns.length})`);
    }
    const result = runWalkForward({ data: columns, strategies: specs, options, walk, onProgress: bar.update });
    bar.done(1);
    const text = JSON.stringify(result, null, 2) + '\n';
    if (!out) {
      io.stdout.write(text);
      return 0;
    }
    writeOutput(out, text);
    const oos = result.outOfSample;
    io.stdout.write(
      `walk-forward of ${result.candidates} candidates over ${result.windows.length} windows written to ${out}; out of sample ${oos.from}..${oos.to}: ` +
        `return ${(oos.totalReturn * 100).toFixed(2)}%, Sharpe ${oos.sharpe.toFixed(3)}, max drawdown ${(oos.maxDrawdown * 100).toFixed(2)}%, ${oos.trades} trades\n`,
    );
    return 0;
  }

  if (specs.length > 1) {
    const json = gridJson(columns, await runGridWithProgress(columns, specs, options, workers, io));
    const text = JSON.stringify(json, null, 2) + '\n';
    if (out) {
      writeOutput(out, text);
      const failed = json.runs.filter((r) => r.error).length;
      io.stdout.write(`${json.runs.length} runs (${failed} invalid) written to ${out}; best by Sharpe: ${json.best ? oneLine(json.best.summary!) : 'none\n'}`);
      if (json.heatmap) io.stdout.write(heatmapText(json.heatmap) + '\n');
    } else io.stdout.write(text);
    return 0;
  }

  const bar = progressBar('backtest', io.stdout);
  const result = runBacktest(columns, createStrategy(checked[0].data!), { ...options, onProgress: bar.update });
  bar.done(result.bars);
  const robustness = backtestRobustness(result);
  const text = JSON.stringify({ ...summarize(result), tradeLog: result.tradeLog, robustness }, null, 2) + '\n';
  if (report) writeOutput(report, renderHtmlReport(result, robustness));
  if (out) {
    writeOutput(out, text);
    io.stdout.write(oneLine(result) + '\n' + robustnessText(robustness));
  } else io.stdout.write(text);
  return 0;
}

/** A grid spec for the worker mode; see the app README. */
export const gridSpecSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dot, dash or underscore').optional(),
  data: z
    .strictObject({
      source: z.string().min(1).describe('sp500 or the path of a .csv file'),
      symbol: z.string().optional(),
      from: z.string().optional(),
      to: z.string().optional(),
    })
    .default({ source: 'sp500' }),
  strategies: z
    .array(z.looseObject({ name: z.string({ error: 'must be a strategy name' }) }))
    .min(1, 'must list at least one strategy'),
  options: z.record(z.string(), z.unknown()).default({}),
  workers: z.number().int().min(1).optional(),
});

function readGridSpec(args: string[], env: Record<string, string | undefined>): { text: string; origin: string } {
  let values: { spec?: string };
  try {
    ({ values } = parseArgs({ args, options: { spec: { type: 'string' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    throw usageFromParseError(err as Error);
  }
  const file = values.spec ?? env.BACKTEST_SPEC_FILE;
  if (file) {
    try {
      return { text: readFileSync(file, 'utf8'), origin: file };
    } catch (err) {
      throw new UsageError(`${values.spec ? '--spec' : 'BACKTEST_SPEC_FILE'}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (env.BACKTEST_SPEC) return { text: env.BACKTEST_SPEC, origin: 'BACKTEST_SPEC' };
  throw new UsageError('--spec: is required (or set BACKTEST_SPEC_FILE or BACKTEST_SPEC)');
}

/**
 * Worker mode of the same image: reads a grid spec, runs every combination on worker
 * threads and writes the results to DATA_DIR/backtests/<name>.json.
 */
async function backtestWorker(args: string[], io: CommandIo): Promise<number> {
  let dataDir: string;
  try {
    dataDir = parseConfig(agentConfigSchema, io.env).DATA_DIR;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(err.message + '\n');
      return 1;
    }
    throw err;
  }
  const { text, origin } = readGridSpec(args, io.env);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${origin}: is not JSON: ${(err as Error).message}`);
  }
  const parsed = gridSpecSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(`${origin}: ${issueText(parsed.error)}`);
  const spec = parsed.data;
  const options = backtestOptionsSchema.safeParse(spec.options);
  if (!options.success) throw new UsageError(`${origin}: ${issueText(options.error, 'options')}`);
  const columns = loadData(spec.data.source, spec.data.symbol, spec.data.from, spec.data.to);
  const specs = spec.strategies.flatMap((s) => expandStrategyGrid(s));

  const startedAt = new Date();
  const runs = await runGridWithProgress(columns, specs, options.data, spec.workers, io);
  const finishedAt = new Date();
  const name = spec.name ?? `grid-${startedAt.toISOString().replace(/[:.]/g, '-')}`;
  const path = join(dataDir, 'backtests', `${name}.json`);
  const json = { name, data: spec.data, startedAt: startedAt.toISOString(), finishedAt: finishedAt.toISOString(), ...gridJson(columns, runs) };
  writeOutput(path, JSON.stringify(json, null, 2) + '\n');
  io.stdout.write(`${runs.length} runs (${runs.filter((r) => r.error).length} invalid) in ${(finishedAt.getTime() - startedAt.getTime()) / 1000}s written to ${path}\n`);
  return 0;
}

/** Runs `backtest` or `backtest-worker`; returns the exit code (2 for a bad argument). */
export async function runBacktestCommand(command: 'backtest' | 'backtest-worker', args: string[], io: CommandIo): Promise<number> {
  try {
    return command === 'backtest' ? await backtest(args, io) : await backtestWorker(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${command}: ${err.message}\n${command === 'backtest' ? BACKTEST_USAGE : WORKER_USAGE}\n`);
      return 2;
    }
    io.stderr.write(`${command} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
