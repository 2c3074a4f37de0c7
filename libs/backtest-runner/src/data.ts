import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { type BarColumns, sliceColumns, toColumns } from '@tradeyard/backtest';
import { BarImportError, barSchema, defaultMarketBars, importBars, loadSp500, symbolSchema, type Bar } from '@tradeyard/market-data';
import { portfolioData, selectSymbols, sliceByTime, type PortfolioData } from '@tradeyard/portfolio-backtest';
import { calendarDateSchema } from '@tradeyard/gateway-contract';
import { z } from 'zod';

const day = calendarDateSchema;
const range = { from: day.optional(), to: day.optional() };

/** Where backtest bars come from over HTTP: the bundled S&P 500, or bars in the request. Files are CLI-only. */
export const dataSourceSchema = z.discriminatedUnion(
  'source',
  [
    z.strictObject({ source: z.literal('sp500'), ...range }),
    z.strictObject({ source: z.literal('bars'), bars: z.array(barSchema).min(2, 'must hold at least 2 bars').max(100_000, 'must hold at most 100000 bars'), ...range }),
  ],
  { error: 'must be one of sp500, bars' },
);
export type DataSource = z.infer<typeof dataSourceSchema>;

/** Bars that cannot be had: the message says why; `field` is the input at fault. */
export class DataError extends Error {
  constructor(
    message: string,
    readonly field: 'data' | 'symbols' | 'from' = 'data',
  ) {
    super(message);
  }
}

let sp500: BarColumns | undefined;
/** The bundled S&P 500 history as columns, built once per process. */
export const sp500Columns = () => (sp500 ??= toColumns(loadSp500()));

/** Bars between two YYYY-MM-DD dates (inclusive), as views on the same memory. */
export function sliceByDate(columns: BarColumns, from?: string, to?: string): BarColumns {
  const lo = from ? Date.parse(`${from}T00:00:00Z`) : -Infinity;
  const hi = to ? Date.parse(`${to}T00:00:00Z`) : Infinity;
  let start = 0;
  while (start < columns.length && columns.time[start] < lo) start++;
  let end = start;
  while (end < columns.length && columns.time[end] <= hi) end++;
  if (end - start < 2) throw new DataError(`only ${end - start} bar(s) between ${from ?? 'the start'} and ${to ?? 'the end'}: a backtest needs at least 2`);
  return sliceColumns(columns, start, end);
}

export function loadDataSource(source: DataSource): BarColumns {
  const columns = source.source === 'sp500' ? sp500Columns() : toColumns(source.bars);
  return sliceByDate(columns, source.from, source.to);
}

/**
 * Bars of one symbol from a CSV file (market-data's parser: a header naming date or time, open,
 * high, low, close and optionally volume, in any order), oldest first. The symbol is `symbol`,
 * else the file's name when it is a valid symbol, else CSV. The first bad row is reported with its
 * line number.
 */
export function loadCsvBars(path: string, symbol?: string): BarColumns {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DataError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const name = symbolSchema.safeParse(symbol ?? basename(path, extname(path)).toUpperCase());
  let bars: Bar[];
  try {
    bars = importBars(text, path, 'csv', { symbol: name.success ? name.data : 'CSV' });
  } catch (err) {
    if (!(err instanceof BarImportError)) throw err;
    const [issue] = err.issues;
    throw new DataError(issue.line === 1 ? `${path}: the header has no ${issue.field} column` : `${path} line ${issue.line}: ${issue.field}: ${issue.message}`);
  }
  if (bars.length < 2) throw new DataError(`${path}: a backtest needs at least 2 bars, found ${bars.length}`);
  // Lines of the file: the header is line 1 and importBars skips blank lines, so count them here.
  const lines = text.split(/\r?\n/).flatMap((line, index) => (index > 0 && line.trim() !== '' ? [index + 1] : []));
  for (let i = 1; i < bars.length; i++) {
    if (bars[i].time <= bars[i - 1].time) throw new DataError(`${path} line ${lines[i]}: time must be later than the row before (oldest first, no duplicates)`);
  }
  return toColumns(bars);
}

let market: PortfolioData | undefined;
/** The default market (libs/market-data defaultMarketBars: SPX, the five monthly stocks, the synthetic universe) as portfolio data, built once per process. */
export const defaultMarketData = () => (market ??= portfolioData(defaultMarketBars()));

/** Where a portfolio backtest's bars come from: the default market, the bundled S&P 500 alone, or a .csv file of one symbol. */
export interface PortfolioSource {
  /** `market` (default), `sp500` or the path of a .csv file. */
  source: string;
  /** The symbol of a .csv file's bars (default: its file name). */
  symbol?: string;
  /** Symbols to trade (default: all the source holds). */
  symbols?: readonly string[];
  from?: string;
  to?: string;
}

/** The bars of a portfolio backtest; a DataError names what is wrong (an unknown symbol, no bars in the dates, a bad file). */
export function loadPortfolioData(request: PortfolioSource): PortfolioData {
  let data: PortfolioData;
  if (request.source === 'market') data = defaultMarketData();
  else if (request.source === 'sp500') data = portfolioData([sp500Columns()]);
  else if (/\.csv$/i.test(request.source)) data = portfolioData([loadCsvBars(request.source, request.symbol)]);
  else throw new DataError(`must be market, sp500 or the path of a .csv file, got "${request.source}"`);
  const day = (date: string | undefined, end: boolean) => (date === undefined ? (end ? Infinity : -Infinity) : Date.parse(`${date}T00:00:00Z`));
  const attempt = (field: DataError['field'], change: () => PortfolioData) => {
    try {
      data = change();
    } catch (err) {
      throw new DataError((err as Error).message, field);
    }
  };
  if (request.symbols) attempt('symbols', () => selectSymbols(data, request.symbols!));
  if (request.from !== undefined || request.to !== undefined) attempt('from', () => sliceByTime(data, day(request.from, false), day(request.to, true)));
  return data;
}
