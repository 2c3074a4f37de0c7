import { type Bar, syntheticBars } from '@tradeyard/market-data';
import { mean, sampleStd } from '@tradeyard/performance';
import type { SymbolFeed } from './market-hub';

/** Symbols a memorization probe can be built from: daily histories a model may have memorized. */
export const probeableSymbols = ['SPX'] as const;
export type ProbeableSymbol = (typeof probeableSymbols)[number];

/** The Gregorian calendar repeats its weekdays every 28 years (between 1901 and 2099), so shifted dates keep their weekday. */
export const PROBE_YEAR_SHIFT = 28;
/** Both probe series start at this price, so neither the level nor the scale gives the original away. */
const PROBE_START_PRICE = 100;
/** The synthetic path's random stream, apart from those of the synthetic universe (indices 0..1999). */
const PROBE_STREAM = 1_000_000;

/** Which probe ticker is which; the tickers and names alone do not say. */
export interface MemorizationProbe {
  real: ProbeableSymbol;
  synthetic: string;
  disguised: string;
}

/** The probe's tickers for a seed: the seed decides which of the two is the synthetic one. */
export function memorizationProbe(real: ProbeableSymbol, seed: number): MemorizationProbe {
  const [synthetic, disguised] = Math.abs(seed) % 2 === 0 ? ['PRBA', 'PRBB'] : ['PRBB', 'PRBA'];
  return { real, synthetic, disguised };
}

/** The same moment `years` later in the calendar (UTC). */
export function shiftYears(time: number, years: number): number {
  const d = new Date(time);
  return Date.UTC(d.getUTCFullYear() + years, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}

/** Per-bar mean and standard deviation of the log returns of the closes. */
export function logReturnMoments(bars: readonly Bar[]): { mean: number; sd: number } {
  const r = bars.slice(1).map((b, i) => Math.log(b.close / bars[i].close));
  return { mean: mean(r), sd: sampleStd(r) };
}

const rescaled = (bars: readonly Bar[], symbol: string): Bar[] => {
  const factor = PROBE_START_PRICE / bars[0].open;
  return bars.map((b) => ({ ...b, symbol, open: b.open * factor, high: b.high * factor, low: b.low * factor, close: b.close * factor }));
};

/**
 * The two derived series of a memorization probe, both on the real series' dates moved forward by
 * PROBE_YEAR_SHIFT years and both starting at 100: the disguised one is the real path itself
 * (returns unchanged); the synthetic one is a seeded geometric Brownian motion whose per-bar log
 * returns have the real series' mean and standard deviation. Their metadata says source `probe`
 * and nothing of the original.
 */
export function probeFeeds(real: SymbolFeed & { symbol: ProbeableSymbol }, seed: number): { probe: MemorizationProbe; feeds: SymbolFeed[] } {
  if (real.bars.length < 3) throw new RangeError(`a memorization probe needs at least 3 bars of ${real.symbol}, got ${real.bars.length}`);
  const probe = memorizationProbe(real.symbol, seed);
  const times = real.bars.map((b) => shiftYears(b.time, PROBE_YEAR_SHIFT));
  const disguised = rescaled(real.bars, probe.disguised).map((b, i) => ({ ...b, time: times[i] }));
  // syntheticBars takes annualised drift and volatility over bars `dt` = 1/365 year apart; these
  // give its per-bar log returns exactly the real mean and standard deviation.
  const moments = logReturnMoments(real.bars);
  const volatility = moments.sd * Math.sqrt(365);
  const drift = moments.mean * 365 + (volatility * volatility) / 2;
  // Its volumes (lognormal around 1,000,000) are scaled to the real median, so they do not tell the two apart.
  const volumes = real.bars.map((b) => b.volume).sort((a, b) => a - b);
  const volumeScale = volumes[volumes.length >> 1] / 1_000_000;
  const synthetic = rescaled(syntheticBars(probe.synthetic, PROBE_STREAM, { seed, symbols: 1, bars: times.length, times, drift, volatility }), probe.synthetic).map((b) => ({
    ...b,
    volume: Math.round(b.volume * volumeScale),
  }));
  const feed = (symbol: string, bars: Bar[]): SymbolFeed => ({ symbol, name: `Probe series ${symbol.slice(-1)}`, source: 'probe', interval: real.interval, bars });
  const feeds = [feed(probe.disguised, disguised), feed(probe.synthetic, synthetic)].sort((a, b) => a.symbol.localeCompare(b.symbol));
  return { probe, feeds };
}
