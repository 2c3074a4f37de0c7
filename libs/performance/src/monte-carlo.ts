import { fromMicros, toMicros } from '@tradeyard/money';
import { mulberry32 } from '@tradeyard/runtime-util';
import { formatValue } from './html';
import { returnsOf } from './report';
import { bootstrapIndices, shuffledIndices } from './resample';
import { quantileSorted } from './stats';
import { escapeHtml } from './svg';
import { htmlTable, textTable } from './tables';

/**
 * An amount of money as a run gives it: exact micro-units (bigint, libs/money) or a number of
 * currency units (an equity curve already marked as numbers, as the backtester's is).
 */
export type MoneyAmount = bigint | number;
/** A series of amounts, all micro-units (bigint) or all numbers. */
export type MoneySeries = readonly bigint[] | ArrayLike<number>;

/** Runs × steps of one simulation at most: the work of a Monte Carlo section is bounded whatever it is given. */
export const MONTE_CARLO_MAX_SAMPLES = 20_000_000;

/** The default number of paths for `steps` steps each: 1,000, fewer where that would pass MONTE_CARLO_MAX_SAMPLES (paths of over 20,000 steps). */
export const monteCarloRuns = (steps: number) => Math.max(1, Math.min(1000, Math.floor(MONTE_CARLO_MAX_SAMPLES / Math.max(1, steps))));

export interface MonteCarloOptions {
  /** Simulated paths, 1 to 100,000; default monteCarloRuns(steps): 1,000 for paths of up to 20,000 steps. */
  runs?: number;
  /** mulberry32 seed (a whole number): the same seed gives the same section on every run and machine. Default 1. */
  seed?: number;
}

export interface ReturnsMonteCarloOptions extends MonteCarloOptions {
  /** 1 (default): i.i.d. bootstrap of the bar returns. Above 1: stationary bootstrap with blocks of this mean length in bars (1 to 10,000), which keeps autocorrelation within blocks. */
  blockLength?: number;
}

export interface TradesMonteCarloOptions extends MonteCarloOptions {
  /** resample (default): draw the trades' P&L with replacement; shuffle: permute their order (the final equity is then always the actual one, only the path varies). */
  method?: 'resample' | 'shuffle';
}

/** The 5th, 50th and 95th percentiles over the simulated paths (linear interpolation between ranks, numpy's default). */
export interface Percentiles {
  p5: number;
  p50: number;
  p95: number;
}

export interface MonteCarloResult {
  method: 'returns-iid' | 'returns-block' | 'trades-resample' | 'trades-shuffle';
  runs: number;
  seed: number;
  /** Mean block length of the stationary bootstrap; null for the i.i.d. and trade methods. */
  blockLength: number | null;
  /** Returns or trades per simulated path. */
  steps: number;
  initialCash: number;
  /** The horizon the CAGR is annualised over. */
  years: number;
  finalEquity: Percentiles;
  cagr: Percentiles;
  maxDrawdown: Percentiles;
  /** Share of paths that end below the initial cash. */
  probabilityOfLoss: number;
}

/** The one conversion from exact money to floating point: micro-units to currency units, numbers as they are. */
function amountsToNumbers(values: MoneySeries, field: string): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v: unknown = values[i];
    const x = typeof v === 'bigint' ? fromMicros(v) : v;
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new RangeError(`${field}[${i}] must be micro-units (bigint) or a finite number, got ${String(v)}`);
    out[i] = x;
  }
  return out;
}

/**
 * Amounts as whole micro-units held in doubles, for sums that must not depend on their order:
 * integers add exactly below 2^53 micro-units (about 9 billion currency units).
 */
function amountsToMicroNumbers(values: MoneySeries, field: string): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v: unknown = values[i];
    if (typeof v === 'number' && Number.isFinite(v)) out[i] = Number(toMicros(v));
    else if (typeof v === 'bigint') out[i] = Number(v);
    else throw new RangeError(`${field}[${i}] must be micro-units (bigint) or a finite number, got ${String(v)}`);
  }
  return out;
}

function amountToNumber(value: MoneyAmount, field: string): number {
  const x = typeof value === 'bigint' ? fromMicros(value) : value;
  if (!(Number.isFinite(x) && x > 0)) throw new RangeError(`${field} must be above 0, got ${String(value)}`);
  return x;
}

function checkedSettings(options: MonteCarloOptions, steps: number) {
  const runs = options.runs ?? monteCarloRuns(steps);
  const seed = options.seed ?? 1;
  if (!(Number.isInteger(runs) && runs >= 1 && runs <= 100_000)) throw new RangeError(`runs must be a whole number from 1 to 100000, got ${runs}`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be a whole number, got ${seed}`);
  if (runs * steps > MONTE_CARLO_MAX_SAMPLES) {
    throw new RangeError(`runs must be at most ${Math.floor(MONTE_CARLO_MAX_SAMPLES / steps)} for ${steps} steps per path (runs × steps ≤ ${MONTE_CARLO_MAX_SAMPLES}), got ${runs}`);
  }
  return { runs, seed };
}

const cagrOf = (final: number, initialCash: number, years: number) => (years > 0 ? (final > 0 ? Math.pow(final / initialCash, 1 / years) - 1 : -1) : 0);

/** Percentiles and the probability of loss from each path's final equity and max drawdown (both arrays are sorted in place). */
function summarise(finals: Float64Array, drawdowns: Float64Array, initialCash: number, years: number) {
  finals.sort();
  drawdowns.sort();
  const pick = (sorted: ArrayLike<number>): Percentiles => ({ p5: quantileSorted(sorted, 0.05), p50: quantileSorted(sorted, 0.5), p95: quantileSorted(sorted, 0.95) });
  // CAGR is a non-decreasing function of the final equity, so the sorted finals give the sorted CAGRs.
  const cagrs = finals.map((f) => cagrOf(f, initialCash, years));
  let losses = 0;
  while (losses < finals.length && finals[losses] < initialCash) losses++;
  return { finalEquity: pick(finals), cagr: pick(cagrs), maxDrawdown: pick(drawdowns), probabilityOfLoss: losses / finals.length };
}

/**
 * Monte Carlo of the daily (bar) returns: each path starts at the initial cash and compounds
 * N − 1 returns drawn from the curve's r_t = E_t / E_{t−1} − 1 (the report's returns; 0 after a
 * bar at 0), i.i.d. or in stationary blocks. CAGR over (N − 1) / barsPerYear years, max drawdown
 * from the running peak (starting at the initial cash), loss when the path ends below the
 * initial cash. The curve is converted to numbers once; each path allocates nothing.
 */
export function returnsMonteCarlo(
  input: { initialCash: MoneyAmount; equity: MoneySeries; barsPerYear?: number },
  options: ReturnsMonteCarloOptions = {},
): MonteCarloResult {
  const initialCash = amountToNumber(input.initialCash, 'initialCash');
  const equity = amountsToNumbers(input.equity, 'equity');
  const barsPerYear = input.barsPerYear ?? 252;
  if (!(barsPerYear > 0 && Number.isFinite(barsPerYear))) throw new RangeError(`barsPerYear must be above 0, got ${barsPerYear}`);
  if (equity.some((e) => e < 0)) throw new RangeError('equity must be 0 or more at every bar');
  const growth = returnsOf(equity).map((r) => 1 + r);
  const steps = growth.length;
  const { runs, seed } = checkedSettings(options, steps);
  const blockLength = options.blockLength ?? 1;
  if (!(blockLength >= 1 && blockLength <= 10_000)) throw new RangeError(`blockLength must be from 1 to 10000, got ${blockLength}`);

  const random = mulberry32(seed);
  const indices = new Int32Array(steps);
  const finals = new Float64Array(runs);
  const drawdowns = new Float64Array(runs);
  for (let run = 0; run < runs; run++) {
    if (steps > 0) bootstrapIndices(random, steps, blockLength, indices);
    let e = initialCash;
    let peak = initialCash;
    let worst = 0;
    for (let k = 0; k < steps; k++) {
      e *= growth[indices[k]];
      if (e >= peak) peak = e;
      else {
        const drawdown = 1 - e / peak;
        if (drawdown > worst) worst = drawdown;
      }
    }
    finals[run] = e;
    drawdowns[run] = worst;
  }
  const years = steps / barsPerYear;
  return {
    method: blockLength === 1 ? 'returns-iid' : 'returns-block',
    runs,
    seed,
    blockLength: blockLength === 1 ? null : blockLength,
    steps,
    initialCash,
    years,
    ...summarise(finals, drawdowns, initialCash, years),
  };
}

/**
 * Monte Carlo of the trade sequence: each path starts at the initial cash and adds the trades'
 * P&L one after another, drawn with replacement (`resample`) or in a random order (`shuffle`).
 * Equity is seen only between trades, so the drawdowns are those of the closed-trade curve (a
 * trade's own dip while open is not in it). A path that reaches 0 is ruined and stays at 0 (max
 * drawdown 1). CAGR over `years`, the run's length. The P&L is converted once to whole
 * micro-units in doubles, so each path's sum is exact and a shuffle ends exactly where the run did.
 */
export function tradesMonteCarlo(
  input: { initialCash: MoneyAmount; pnl: MoneySeries; years: number },
  options: TradesMonteCarloOptions = {},
): MonteCarloResult {
  const initialCash = amountToNumber(input.initialCash, 'initialCash');
  const pnl = amountsToMicroNumbers(input.pnl, 'pnl');
  const cash = Number(typeof input.initialCash === 'bigint' ? input.initialCash : toMicros(input.initialCash));
  const { years } = input;
  if (!(years >= 0 && Number.isFinite(years))) throw new RangeError(`years must be 0 or more, got ${years}`);
  const method = options.method ?? 'resample';
  if (method !== 'resample' && method !== 'shuffle') throw new RangeError(`method must be resample or shuffle, got ${String(method)}`);
  const steps = pnl.length;
  const { runs, seed } = checkedSettings(options, steps);

  const random = mulberry32(seed);
  const indices = new Int32Array(steps);
  const finals = new Float64Array(runs);
  const drawdowns = new Float64Array(runs);
  for (let run = 0; run < runs; run++) {
    if (method === 'shuffle') shuffledIndices(random, indices);
    else if (steps > 0) bootstrapIndices(random, steps, 1, indices);
    let e = cash;
    let peak = cash;
    let worst = 0;
    for (let k = 0; k < steps; k++) {
      e += pnl[indices[k]];
      if (e <= 0) {
        e = 0;
        worst = 1;
        break;
      }
      if (e >= peak) peak = e;
      else {
        const drawdown = 1 - e / peak;
        if (drawdown > worst) worst = drawdown;
      }
    }
    finals[run] = e / 1e6;
    drawdowns[run] = worst;
  }
  return {
    method: method === 'shuffle' ? 'trades-shuffle' : 'trades-resample',
    runs,
    seed,
    blockLength: null,
    steps,
    initialCash,
    years,
    ...summarise(finals, drawdowns, initialCash, years),
  };
}

const METHODS: Record<MonteCarloResult['method'], string> = {
  'returns-iid': 'bar returns, i.i.d. bootstrap',
  'returns-block': 'bar returns, stationary block bootstrap',
  'trades-resample': 'trade P&L, resampled with replacement',
  'trades-shuffle': 'trade order, shuffled',
};

function monteCarloCaption(m: MonteCarloResult): string {
  const method = m.blockLength === null ? METHODS[m.method] : `${METHODS[m.method]} (mean block ${m.blockLength} bars)`;
  const steps = m.method.startsWith('trades') ? 'trades' : 'returns';
  return `Monte Carlo of the ${method}: ${m.runs} runs of ${m.steps} ${steps}, seed ${m.seed}; probability of loss ${formatValue(m.probabilityOfLoss, 'percent')}`;
}

const monteCarloRows = (m: MonteCarloResult) => [
  ['', '5th percentile', 'Median', '95th percentile'],
  ...([
    ['Final equity', m.finalEquity, 'money'],
    ['CAGR', m.cagr, 'percent'],
    ['Max drawdown', m.maxDrawdown, 'percent'],
  ] as const).map(([label, p, format]) => [label, formatValue(p.p5, format), formatValue(p.p50, format), formatValue(p.p95, format)]),
];

/** One simulation as a caption and a plain-text table of its percentiles. */
export function monteCarloText(m: MonteCarloResult): string {
  return `${monteCarloCaption(m)}\n${textTable(monteCarloRows(m))}`;
}

/** One simulation as an HTML caption and table; every string escaped. */
export function monteCarloHtml(m: MonteCarloResult): string {
  const [head, ...rows] = monteCarloRows(m);
  return `<p>${escapeHtml(monteCarloCaption(m))}</p>\n${htmlTable(head, rows.map((r) => r.map(escapeHtml)))}`;
}
