import { mulberry32 } from '@tradeyard/runtime-util';
import { intervalMs, type Bar, type Interval } from './bar';
import { InMemoryProvider } from './provider';
import { resample } from './resample';

export interface SyntheticOptions {
  seed: number;
  symbols: number;
  bars: number;
  interval?: Interval;
  /** Open time of the first bar; defaults to 2020-01-01. */
  start?: number;
  /** Annualised drift and volatility of the geometric Brownian motion. */
  drift?: number;
  volatility?: number;
}

/** Standard normal draws by Box-Muller. */
function normal(next: () => number) {
  return () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

export const syntheticSymbol = (i: number) => `SYN${String(i).padStart(3, '0')}`;

/** One symbol's bars: GBM closes, intrabar range and lognormal volume from the same stream. */
export function syntheticBars(symbol: string, index: number, options: SyntheticOptions): Bar[] {
  const interval = options.interval ?? '1d';
  const dt = intervalMs[interval] / (365 * 86_400_000);
  const drift = options.drift ?? 0.07;
  const sigma = options.volatility ?? 0.25;
  const next = mulberry32(options.seed * 1_000_003 + index);
  const z = normal(next);
  let price = 20 + next() * 180;
  const bars: Bar[] = new Array(options.bars);
  const start = options.start ?? Date.UTC(2020, 0, 1);
  for (let i = 0; i < options.bars; i++) {
    const open = price;
    const close = open * Math.exp((drift - (sigma * sigma) / 2) * dt + sigma * Math.sqrt(dt) * z());
    const wiggle = sigma * Math.sqrt(dt) * Math.abs(z()) * 0.5;
    const high = Math.max(open, close) * (1 + wiggle);
    const low = Math.min(open, close) * (1 - wiggle);
    const volume = Math.round(1_000_000 * Math.exp(0.5 * z()));
    bars[i] = { symbol, time: start + i * intervalMs[interval], open, high, low, close, volume };
    price = close;
  }
  return bars;
}

/** A seeded synthetic universe SYN000..SYNnnn. */
export function syntheticProvider(options: SyntheticOptions): InMemoryProvider {
  const map = new Map<string, Bar[]>();
  for (let i = 0; i < options.symbols; i++) map.set(syntheticSymbol(i), syntheticBars(syntheticSymbol(i), i, options));
  return new InMemoryProvider(`synthetic:${options.seed}`, map, resample);
}
