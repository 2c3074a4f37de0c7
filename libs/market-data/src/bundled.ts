import { readFileSync } from 'node:fs';
import type { Bar } from './bar';
import { bundledDatasets, datasetPath, loadSp500 } from './datasets';
import { groupBySymbol, InMemoryProvider } from './provider';
import { resample } from './resample';

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

let stocks: Bar[] | undefined;

/**
 * Monthly closes of AAPL, AMZN, GOOG, IBM and MSFT from the bundled `symbol,date,price` CSV
 * (dates like "Jan 1 2000"). Only a price is recorded, so open = high = low = close and volume 0.
 */
export function loadStocks(): Bar[] {
  if (stocks) return stocks;
  const lines = readFileSync(datasetPath(bundledDatasets.stocks), 'utf8').split(/\r?\n/);
  const bars: Bar[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i]) continue;
    const [symbol, date, price] = lines[i].split(',');
    const [month, dayOfMonth, year] = date.split(' ');
    const p = Number(price);
    bars.push({ symbol, time: Date.UTC(Number(year), months.indexOf(month), Number(dayOfMonth)), open: p, high: p, low: p, close: p, volume: 0 });
  }
  stocks = bars;
  return bars;
}

/** Real recorded history shipped with the project: SPX daily and five stocks monthly. */
export function bundledProvider(dataset: 'sp500' | 'stocks' | 'all' = 'all'): InMemoryProvider {
  const bars = dataset === 'sp500' ? loadSp500() : dataset === 'stocks' ? loadStocks() : [...loadSp500(), ...loadStocks()];
  return new InMemoryProvider(`bundled:${dataset}`, groupBySymbol(bars), resample);
}
