import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageAsset } from '@tradeyard/runtime-util';
import type { Bar } from './bar';
import { importBars } from './import';

/** Real history shipped with the project through the `vega-datasets` npm package. */
export const bundledDatasets = {
  /** Daily S&P 500 index, 2000-01-03..2020-04-17, as symbol SPX. */
  sp500: 'sp500-2000.csv',
  /** Monthly closes of AAPL, AMZN, GOOG, IBM and MSFT, 2000-2010. */
  stocks: 'stocks.csv',
} as const;
export type BundledDataset = keyof typeof bundledDatasets;

/** Where a bundled CSV file is (next to the bundle in images, else in the vega-datasets package). */
export const datasetPath = (file: string): string => packageAsset(join('datasets', file), 'vega-datasets', join('data', file));

const cache = new Map<string, Bar[]>();

/** Daily S&P 500 bars (symbol SPX) from the bundled CSV (date,open,high,low,close,adjclose,volume), through the one CSV importer. */
export function loadSp500(): Bar[] {
  const cached = cache.get('sp500');
  if (cached) return cached;
  const bars = importBars(readFileSync(datasetPath(bundledDatasets.sp500), 'utf8'), bundledDatasets.sp500, 'csv', { symbol: 'SPX' });
  cache.set('sp500', bars);
  return bars;
}
