import { mulberry32 } from '@tradeyard/runtime-util';
import { intervalMs, type Bar, type Interval } from './bar';
import { InMemoryProvider } from './provider';
import { resample } from './resample';

export interface SyntheticOptions {
  seed: number;
  symbols: number;
  /** How many bars each symbol gets; ignored when `times` is given. */
  bars: number;
  interval?: Interval;
  /** Open time of the first bar; defaults to 2020-01-01. */
  start?: number;
  /** Open times of the bars (a trading calendar, e.g. the S&P 500's days); default: every `interval` from `start`. */
  times?: readonly number[];
  /** Annualised drift and volatility of the geometric Brownian motion. */
  drift?: number;
  volatility?: number;
  /**
   * Correlation of each symbol's returns with one common market factor (0..1), so the universe
   * moves together as real stocks do. Default 0.5 for a universe; 0 gives independent walks.
   */
  marketCorrelation?: number;
}

/** Standard normal draws by Box-Muller. */
function normal(next: () => number) {
  return () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

export const syntheticSymbol = (i: number) => `SYN${String(i).padStart(3, '0')}`;

const barTimes = (options: SyntheticOptions): readonly number[] => {
  if (options.times) return options.times;
  const step = intervalMs[options.interval ?? '1d'];
  const start = options.start ?? Date.UTC(2020, 0, 1);
  return Array.from({ length: options.bars }, (_, i) => start + i * step);
};

/** The common market factor: one standard normal shock per bar, from the seed alone (so every symbol sees the same market). */
export function marketShocks(seed: number, count: number): Float64Array {
  const z = normal(mulberry32(seed * 1_000_003 - 1));
  const shocks = new Float64Array(count);
  for (let i = 0; i < count; i++) shocks[i] = z();
  return shocks;
}

/**
 * One symbol's bars: GBM closes whose shock mixes the market factor (weight `marketCorrelation`)
 * with the symbol's own, intrabar range and lognormal volume from the symbol's stream.
 */
export function syntheticBars(symbol: string, index: number, options: SyntheticOptions, market?: Float64Array): Bar[] {
  const times = barTimes(options);
  const dt = intervalMs[options.interval ?? '1d'] / (365 * 86_400_000);
  const drift = options.drift ?? 0.07;
  const sigma = options.volatility ?? 0.25;
  const rho = market ? (options.marketCorrelation ?? 0.5) : 0;
  const own = Math.sqrt(1 - rho * rho);
  const next = mulberry32(options.seed * 1_000_003 + index);
  const z = normal(next);
  let price = 20 + next() * 180;
  const bars: Bar[] = new Array(times.length);
  for (let i = 0; i < times.length; i++) {
    const shock = market ? rho * market[i] + own * z() : z();
    const open = price;
    const close = open * Math.exp((drift - (sigma * sigma) / 2) * dt + sigma * Math.sqrt(dt) * shock);
    const wiggle = sigma * Math.sqrt(dt) * Math.abs(z()) * 0.5;
    const high = Math.max(open, close) * (1 + wiggle);
    const low = Math.min(open, close) * (1 - wiggle);
    const volume = Math.round(1_000_000 * Math.exp(0.5 * z()));
    bars[i] = { symbol, time: times[i], open, high, low, close, volume };
    price = close;
  }
  return bars;
}

/** A seeded synthetic universe SYN000..SYNnnn on one market factor, by symbol. */
export function syntheticUniverse(options: SyntheticOptions): Map<string, Bar[]> {
  const market = marketShocks(options.seed, barTimes(options).length);
  const map = new Map<string, Bar[]>();
  for (let i = 0; i < options.symbols; i++) map.set(syntheticSymbol(i), syntheticBars(syntheticSymbol(i), i, options, market));
  return map;
}

export function syntheticProvider(options: SyntheticOptions): InMemoryProvider {
  return new InMemoryProvider(`synthetic:${options.seed}`, syntheticUniverse(options), resample);
}
