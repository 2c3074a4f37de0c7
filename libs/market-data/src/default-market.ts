import type { Bar } from './bar';
import { loadStocks } from './bundled';
import { loadSp500 } from './datasets';
import { groupBySymbol } from './provider';
import { syntheticUniverse } from './synthetic';

/** The seed and size of the default market's synthetic universe (the gateway's SYNTHETIC_SEED and SYNTHETIC_SYMBOLS defaults). */
export const DEFAULT_SYNTHETIC = { seed: 1, symbols: 100 } as const;

// Generating 100 symbols × 5,105 days takes a noticeable part of a second: built once per
// process and options. The bars are never mutated.
const syntheticCache = new Map<string, Map<string, Bar[]>>();

/** The seeded synthetic universe SYN000.. on the S&P 500's trading days, so it shares SPX's clock. */
export function syntheticOnSp500Days(options: { seed: number; symbols: number }): Map<string, Bar[]> {
  const key = `${options.seed}:${options.symbols}`;
  let universe = syntheticCache.get(key);
  if (!universe) {
    const times = loadSp500().map((b) => b.time);
    universe = syntheticUniverse({ seed: options.seed, symbols: options.symbols, bars: times.length, times });
    syntheticCache.set(key, universe);
  }
  return universe;
}

/**
 * Every symbol of the default market `npm start` replays, by symbol, oldest bar first: SPX daily
 * (2000-2020), the five monthly stocks (2000-2010, by name) and the synthetic universe on SPX's
 * days — 106 symbols with the defaults. Each keeps its own calendar.
 */
export function defaultMarketBars(synthetic: { seed: number; symbols: number } = DEFAULT_SYNTHETIC): Map<string, Bar[]> {
  const stocks = [...groupBySymbol(loadStocks())].sort(([a], [b]) => a.localeCompare(b));
  return new Map([['SPX', loadSp500()], ...stocks, ...syntheticOnSp500Days(synthetic)]);
}
