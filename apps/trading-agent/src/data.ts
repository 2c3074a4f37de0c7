import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { type BarColumns, sliceColumns, toColumns } from '@tradeyard/backtest';
import { BarImportError, barSchema, importBars, loadSp500, symbolSchema, type Bar } from '@tradeyard/market-data';
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

export class DataError extends Error {}

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
