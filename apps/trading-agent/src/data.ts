import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { allocateColumns, type BarColumns, toColumns } from '@tradeyard/backtest';
import { barSchema, loadSp500, symbolSchema } from '@tradeyard/market-data';
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
  return {
    symbol: columns.symbol,
    length: end - start,
    time: columns.time.subarray(start, end),
    open: columns.open.subarray(start, end),
    high: columns.high.subarray(start, end),
    low: columns.low.subarray(start, end),
    close: columns.close.subarray(start, end),
    volume: columns.volume.subarray(start, end),
  };
}

export function loadDataSource(source: DataSource): BarColumns {
  const columns = source.source === 'sp500' ? sp500Columns() : toColumns(source.bars);
  return sliceByDate(columns, source.from, source.to);
}

const TIME_HEADERS = ['date', 'time', 'timestamp', 'datetime'];

/** A time cell: an ISO date/time, or epoch seconds or milliseconds. */
function parseTime(cell: string): number {
  if (/^\d+(\.\d+)?$/.test(cell)) {
    const n = Number(cell);
    return n < 1e11 ? n * 1000 : n;
  }
  return Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(cell) ? `${cell}T00:00:00Z` : cell);
}

/**
 * Bars from a CSV file with a header naming date (or time/timestamp), open, high, low, close
 * and optionally volume, in any order, oldest first. Split by hand: numeric OHLCV files carry
 * no quoted fields, and no CSV package is installed. Every row is checked with barSchema; the
 * first bad one is reported with its line number.
 */
export function loadCsvBars(path: string, symbol?: string): BarColumns {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DataError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const name = symbolSchema.safeParse(symbol ?? basename(path, extname(path)).toUpperCase());
  const sym = name.success ? name.data : 'CSV';
  const lines = text.split(/\r?\n/);
  const header = lines[0].split(',').map((h) => h.trim().toLowerCase());
  const col = (names: string[]) => header.findIndex((h) => names.includes(h));
  const index = { time: col(TIME_HEADERS), open: col(['open']), high: col(['high']), low: col(['low']), close: col(['close']), volume: col(['volume']) };
  for (const [field, i] of Object.entries(index)) {
    if (i < 0 && field !== 'volume') throw new DataError(`${path}: the header has no ${field === 'time' ? TIME_HEADERS.join('/') : field} column`);
  }
  const rows = lines.slice(1).filter((l) => l.trim() !== '');
  if (rows.length < 2) throw new DataError(`${path}: a backtest needs at least 2 bars, found ${rows.length}`);
  const columns = allocateColumns(sym, rows.length);
  let previous = -Infinity;
  rows.forEach((row, r) => {
    const cells = row.split(',');
    const num = (i: number) => (i < 0 ? 0 : Number(cells[i]));
    const line = r + 2;
    const timeCell = cells[index.time]?.trim() ?? '';
    const time = parseTime(timeCell);
    if (!Number.isFinite(time)) throw new DataError(`${path} line ${line}: ${header[index.time]}: cannot read "${timeCell}" as a date or time`);
    const bar = { symbol: sym, time, open: num(index.open), high: num(index.high), low: num(index.low), close: num(index.close), volume: num(index.volume) };
    const checked = barSchema.safeParse(bar);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new DataError(`${path} line ${line}: ${issue.path.join('.') || 'row'}: ${issue.message}`);
    }
    if (bar.time <= previous) throw new DataError(`${path} line ${line}: time must be later than the row before (oldest first, no duplicates)`);
    previous = bar.time;
    columns.time[r] = bar.time;
    columns.open[r] = bar.open;
    columns.high[r] = bar.high;
    columns.low[r] = bar.low;
    columns.close[r] = bar.close;
    columns.volume[r] = bar.volume;
  });
  return columns;
}
