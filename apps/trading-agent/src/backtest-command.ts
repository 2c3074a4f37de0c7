import { calendarDateSchema } from '@tradeyard/gateway-contract';
import { symbolSchema } from '@tradeyard/market-data';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { backtestOptionsSchema, type BarColumns, expandStrategyGrid, type ProgressStream } from '@tradeyard/backtest';
import {
  checkNames,
  DataError,
  gridSpecSchema,
  loadCsvBars,
  loadPortfolioData,
  runBuiltin,
  runCheck,
  runGridSpec,
  runSdk,
  type CheckOutput,
  type RunOutput,
  sliceByDate,
  sp500Columns,
  writeOutput,
} from '@tradeyard/backtest-runner';
import { portfolioOptionsSchema } from '@tradeyard/portfolio-backtest';
import { parseConfig, ConfigError } from '@tradeyard/service-kit';
import { builtinStrategies, issueText, strategyNames, strategySpecSchema, type StrategyName } from '@tradeyard/strategies';
import type { AnyStrategyDefinition } from '@tradeyard/strategy';
import { isStrategyPath, resolveStrategy, StrategyLoadError, StrategyRegistry } from '@tradeyard/strategy-loader';
import type { z } from 'zod';
import { agentConfigSchema } from './config';
import { camel, checkStrategyParams, kebab, numberArg, paramFlags, parseFlags, parseStrategyParams, parseWalk, UsageError, walkOptions } from './strategy-args';

export interface CommandIo {
  stdout: ProgressStream;
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  /** The script grid worker threads start: the bundle itself in production. */
  workerFile: string;
  /** Where relative strategy paths start (default: the process's working directory). */
  cwd?: string;
}

export const BACKTEST_USAGE =
  'usage: main.js backtest --strategy=buy-and-hold|sma-cross|rsi-reversion|breakout|NAME|FILE.ts [--data=sp500|market|FILE.csv] [--symbol=SYM] ' +
  '[--symbols=SYM,SYM,...|all] [--from=YYYY-MM-DD] [--to=YYYY-MM-DD] [--fast=N --slow=N | --period=N --buy-below=X --sell-above=X | ' +
  '--entry-period=N --exit-period=N] [--params=JSON] [--PARAM=X] [--grid=PARAM,...|all] (a comma list runs a grid) [--initial-cash=X] [--whole-shares] ' +
  '[--fee-per-trade=X] [--fee-bps=X] [--slippage-bps=X] [--volume-limit=X] [--allow-short [--short-initial-margin=X] [--short-maintenance-margin=X]] [--bars-per-year=N] [--workers=N] [--out=FILE.json] [--report=FILE.html] ' +
  '[--train-bars=N --test-bars=N [--step-bars=N] [--metric=sharpe|sortino|totalReturn|cagr|maxDrawdown|winRate]] (walk-forward over the grid) ' +
  '[--check=lookahead|warmup] (a bias check of one parameter combination: exit 1 on a finding)';
export const WORKER_USAGE = 'usage: main.js backtest-worker [--spec=FILE.json]   (else BACKTEST_SPEC_FILE, else BACKTEST_SPEC as JSON)';

const BUILTIN_PARAMS = ['fast', 'slow', 'period', 'buy-below', 'sell-above', 'entry-period', 'exit-period'] as const;
const NUMBER_OPTIONS = ['initial-cash', 'fee-per-trade', 'fee-bps', 'slippage-bps', 'bars-per-year'] as const;
/** Numeric options only portfolio runs have. */
const SDK_NUMBERS = ['volume-limit', 'short-initial-margin', 'short-maintenance-margin'] as const;
/** Options of portfolio runs of strategies written with @tradeyard/strategy (a built-in's name with one of them, or --allow-short, runs its file so). */
const SDK_OPTIONS = ['symbols', 'params', 'grid', 'check', ...SDK_NUMBERS] as const;
/** Flags without a value: every run's, and the portfolio runs' too. */
const FLAGS = ['whole-shares'] as const;
const SDK_FLAGS = [...FLAGS, 'allow-short'] as const;
const COMMON = ['data', 'symbol', 'from', 'to', 'strategy', 'out', 'report', 'workers', ...NUMBER_OPTIONS, ...walkOptions, ...SDK_OPTIONS] as const;

/** Node's parseArgs errors quote the option; keep just that and say what is wrong with it. */
function usageFromParseError(err: Error): UsageError {
  const option = /'([^' ]+)/.exec(err.message)?.[1];
  if (!option) return new UsageError(err.message);
  if ((err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`${option}: is not a known argument`);
  if ((err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new UsageError(`${option}: unexpected argument (options are --name=value)`);
  return new UsageError(`${option}: ${err.message.replace(/^Option '[^']+' /, '')}`);
}

/** Parses --name=value options (strings, and the value-less `flags`, answered as 'true'); a bad one is a UsageError naming it. */
function parseOptionArgs(args: string[], names: readonly string[], flags: readonly string[] = FLAGS): (k: string) => string | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: { ...Object.fromEntries(names.map((s) => [s, { type: 'string' as const }])), ...Object.fromEntries(flags.map((f) => [f, { type: 'boolean' as const }])) },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw usageFromParseError(err as Error);
  }
  return (k: string) => (flags.includes(k) ? (values[k] ? 'true' : undefined) : (values[k] as string | undefined));
}

/** The --strategy value, read before the rest: which options exist depends on the strategy. */
function strategyArg(args: string[]): string | undefined {
  const { tokens } = parseArgs({ args, strict: false, allowPositionals: true, tokens: true });
  const token = tokens.filter((t) => t.kind === 'option' && t.name === 'strategy').at(-1);
  return token?.kind === 'option' ? token.value : undefined;
}

const checkDates = (from: string | undefined, to: string | undefined) => {
  for (const [flag, value] of [['from', from], ['to', to]] as const) {
    const date = value === undefined ? undefined : calendarDateSchema.safeParse(value);
    if (date && !date.success) throw new UsageError(`--${flag}: ${date.error.issues[0].message}, got "${value}"`);
  }
};

/** One symbol's bars for a built-in strategy: the bundled S&P 500 or a CSV file. */
function loadColumns(data: string, symbol: string | undefined, from?: string, to?: string): BarColumns {
  checkDates(from, to);
  try {
    if (data === 'sp500') return sliceByDate(sp500Columns(), from, to);
    if (/\.csv$/i.test(data)) return sliceByDate(loadCsvBars(data, symbol), from, to);
  } catch (err) {
    if (err instanceof DataError) throw new UsageError(`--data: ${err.message}`);
    throw err;
  }
  throw new UsageError(`--data: must be sp500 or the path of a .csv file, got "${data}"`);
}

/** The message for a strategy spec that fails validation, in command-line terms. */
function specUsageError(spec: Record<string, unknown>, error: z.ZodError): UsageError {
  const first = error.issues[0];
  if (first.code === 'unrecognized_keys') return new UsageError(`--${kebab(first.keys[0])}: is not a parameter of ${String(spec.name)}`);
  const field = String(first.path[0] ?? 'name');
  return new UsageError(`${field === 'name' ? '--strategy' : `--${kebab(field)}`}: ${first.message}`);
}

/** Backtest options from their flags (volume terms only for SDK strategies). */
function optionsFrom<T extends z.ZodType>(schema: T, str: (k: string) => string | undefined, extra: readonly string[] = []): z.output<T> {
  const numeric = [...NUMBER_OPTIONS, ...extra].flatMap((flag) => (str(flag) === undefined ? [] : [[camel(flag), numberArg(flag, str(flag)!)]]));
  const flags = SDK_FLAGS.flatMap((flag) => (str(flag) ? [[camel(flag), true]] : []));
  return parseFlags(schema, { ...Object.fromEntries(numeric), ...Object.fromEntries(flags) }, 'initial-cash');
}

function workersFrom(str: (k: string) => string | undefined): number | undefined {
  const text = str('workers');
  const workers = text === undefined ? undefined : numberArg('workers', text);
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1)) throw new UsageError('--workers: must be a whole number of at least 1');
  return workers;
}

/** Writes a check's report: its text to stdout, the whole report as JSON to --out; exit 1 on a finding. */
function emitCheck(output: CheckOutput, str: (k: string) => string | undefined, io: CommandIo): number {
  const out = str('out');
  if (out) writeOutput(out, JSON.stringify(output.json, null, 2) + '\n');
  io.stdout.write(output.text + (out ? `report written to ${out}\n` : ''));
  return output.found ? 1 : 0;
}

/** The --check value, or undefined; a check runs one parameter combination, not a grid, walk-forward or report. */
function checkArg(str: (k: string) => string | undefined, params: Record<string, unknown>) {
  const check = str('check');
  if (check === undefined) return undefined;
  const name = checkNames.find((c) => c === check);
  if (!name) throw new UsageError(`--check: must be one of ${checkNames.join(', ')}, got "${check}"`);
  const swept = Object.keys(params).find((p) => params[p] === '*' || Array.isArray(params[p]));
  if (swept) throw new UsageError(`--check: checks one parameter combination; ${swept} has several values`);
  const other = ['report', 'train-bars', 'test-bars'].find((flag) => str(flag) !== undefined);
  if (other) throw new UsageError(`--${other}: not with --check`);
  return name;
}

/** Writes a run's output: warnings to stderr, the HTML report, the JSON to --out (and one line to stdout) or to stdout. */
function emit(output: RunOutput, str: (k: string) => string | undefined, io: CommandIo): number {
  for (const warning of output.warnings) io.stderr.write(`backtest: warning: ${warning}\n`);
  const report = str('report');
  if (report && output.html) writeOutput(report, output.html);
  const text = JSON.stringify(output.json, null, 2) + '\n';
  const out = str('out');
  if (!out) io.stdout.write(text);
  else {
    writeOutput(out, text);
    io.stdout.write(output.line(out));
  }
  return 0;
}

/** A built-in single-symbol strategy, with its own flags (--fast, --slow, ...), as the command always ran it. */
async function builtinBacktest(args: string[], io: CommandIo): Promise<number> {
  const str = parseOptionArgs(args, [...COMMON, ...BUILTIN_PARAMS]);
  const name = str('strategy');
  if (!name) throw new UsageError('--strategy: is required');
  const spec: Record<string, unknown> = { name };
  for (const flag of BUILTIN_PARAMS) {
    const value = str(flag);
    if (value === undefined) continue;
    const list = value.split(',').map((v) => numberArg(flag, v));
    spec[camel(flag)] = list.length > 1 ? list : list[0];
  }
  const options = optionsFrom(backtestOptionsSchema, str);
  const workers = workersFrom(str);
  const specs = expandStrategyGrid(spec);
  const checked = specs.map((s) => strategySpecSchema.safeParse(s));
  if (checked.every((c) => !c.success)) throw specUsageError(specs[0], (checked[0] as { error: z.ZodError }).error);
  if (specs.length > 1 && str('report')) throw new UsageError('--report: only for a single backtest, not a grid');
  const columns = loadColumns(str('data') ?? 'sp500', str('symbol'), str('from'), str('to'));
  const walk = parseWalk(str);
  if (walk && str('report')) throw new UsageError('--report: only for a single backtest, not a walk-forward');
  if (walk && walk.trainBars + walk.testBars > columns.length) {
    throw new UsageError(`--train-bars: trainBars + testBars (${walk.trainBars + walk.testBars}) must be at most the bars of the data (${columns.length})`);
  }
  return emit(await runBuiltin({ specs, columns, options, walk, workers }, io), str, io);
}

/** A strategy written with @tradeyard/strategy: its declared parameters are flags too (--lookback=60,90). */
function sdkBacktest(definition: AnyStrategyDefinition, args: string[], io: CommandIo): number {
  const flags = paramFlags(definition, [...COMMON, ...SDK_FLAGS]);
  const str = parseOptionArgs(args, [...COMMON, ...flags.keys()], SDK_FLAGS);
  const { params, flagOf } = parseStrategyParams(definition, flags, str);
  checkStrategyParams(definition, params, flagOf);
  const options = optionsFrom(portfolioOptionsSchema, str, SDK_NUMBERS);
  checkDates(str('from'), str('to'));
  const symbolsArg = str('symbols');
  const chosen = symbolsArg === undefined || symbolsArg === 'all' ? undefined : symbolsArg.split(',');
  for (const symbol of chosen ?? []) {
    const valid = symbolSchema.safeParse(symbol);
    if (!valid.success) throw new UsageError(`--symbols: "${symbol}" ${valid.error.issues[0].message}`);
  }
  const declared = definition.universe === 'all' ? undefined : definition.universe;
  let data;
  try {
    data = loadPortfolioData({ source: str('data') ?? 'market', symbol: str('symbol'), symbols: chosen ?? (symbolsArg === 'all' ? undefined : declared), from: str('from'), to: str('to') });
  } catch (err) {
    if (err instanceof DataError) throw new UsageError(`--${err.field}: ${err.message}`);
    throw err;
  }
  const check = checkArg(str, params);
  if (check) return emitCheck(runCheck({ check, definition, params, data, symbolsChosen: symbolsArg !== undefined, options }), str, io);
  const walk = parseWalk(str);
  const grid = Object.values(params).some((v) => v === '*' || (Array.isArray(v) && v.length > 1));
  if ((walk || grid) && str('report')) throw new UsageError(`--report: only for a single backtest, not a ${walk ? 'walk-forward' : 'grid'}`);
  const steps = data.calendar.times.length;
  if (walk && walk.trainBars + walk.testBars > steps) throw new UsageError(`--train-bars: trainBars + testBars (${walk.trainBars + walk.testBars}) must be at most the steps of the data (${steps})`);
  return emit(runSdk({ definition, params, data, symbolsChosen: symbolsArg !== undefined, options, walk }, io), str, io);
}

/** Whether the arguments give one of `names` (read before the rest, as --strategy is). */
function hasOption(args: string[], names: readonly string[]): boolean {
  const { tokens } = parseArgs({ args, strict: false, allowPositionals: true, tokens: true });
  return tokens.some((t) => t.kind === 'option' && names.includes(t.name));
}

/**
 * What --strategy names: a built-in, a file path, or a strategy of STRATEGIES_DIR. A built-in
 * runs on the single-symbol engine, or as the SDK file it is over a portfolio when an option of
 * portfolio runs (--symbols, --params, --grid, --volume-limit, --allow-short, --check) is given.
 */
async function backtest(args: string[], io: CommandIo): Promise<number> {
  const ref = strategyArg(args);
  if (ref !== undefined && (strategyNames as readonly string[]).includes(ref) && hasOption(args, [...SDK_OPTIONS, 'allow-short'])) return sdkBacktest(builtinStrategies[ref as StrategyName], args, io);
  if (ref === undefined || (strategyNames as readonly string[]).includes(ref)) return builtinBacktest(args, io);
  if (!isStrategyPath(ref)) {
    const registry = await StrategyRegistry.load(io.env.STRATEGIES_DIR);
    if (!registry.get(ref)) throw new UsageError(`--strategy: must be one of ${registry.names().join(', ')} or the path of a strategy file`);
  }
  const entry = await resolveStrategy(ref, { strategiesDir: io.env.STRATEGIES_DIR, cwd: io.cwd });
  return entry.kind === 'builtin' ? builtinBacktest(args, io) : sdkBacktest(entry.definition, args, io);
}

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
  const columns = loadColumns(spec.data.source, spec.data.symbol, spec.data.from, spec.data.to);
  io.stdout.write(await runGridSpec(spec, columns, options.data, dataDir, io));
  return 0;
}

/** Runs `backtest` or `backtest-worker`; returns the exit code (2 for a bad argument or strategy file). */
export async function runBacktestCommand(command: 'backtest' | 'backtest-worker', args: string[], io: CommandIo): Promise<number> {
  try {
    return command === 'backtest' ? await backtest(args, io) : await backtestWorker(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${command}: ${err.message}\n${command === 'backtest' ? BACKTEST_USAGE : WORKER_USAGE}\n`);
      return 2;
    }
    if (err instanceof StrategyLoadError) {
      io.stderr.write(`${command}: ${err.message}\n`);
      return 2;
    }
    io.stderr.write(`${command} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
