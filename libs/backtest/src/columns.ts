import type { Bar } from '@tradeyard/market-data';

/**
 * One symbol's bars as columns of typed arrays: the backtester's native input. Columns make
 * a run allocation-free per bar, and they move to worker threads over SharedArrayBuffers
 * without copying.
 */
export interface BarColumns {
  readonly symbol: string;
  readonly length: number;
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

const fields = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;

/** Empty columns for `length` bars, on a SharedArrayBuffer when `shared` (for worker threads). */
export function allocateColumns(symbol: string, length: number, shared = false): BarColumns {
  const bytes = length * Float64Array.BYTES_PER_ELEMENT;
  const buffer = shared ? new SharedArrayBuffer(bytes * fields.length) : new ArrayBuffer(bytes * fields.length);
  const column = (i: number) => new Float64Array(buffer, i * bytes, length);
  return { symbol, length, time: column(0), open: column(1), high: column(2), low: column(3), close: column(4), volume: column(5) };
}

export function toColumns(bars: readonly Bar[], shared = false): BarColumns {
  const columns = allocateColumns(bars[0]?.symbol ?? '', bars.length, shared);
  const { time, open, high, low, close, volume } = columns;
  for (let i = 0; i < bars.length; i++) {
    const b = bars[i];
    time[i] = b.time;
    open[i] = b.open;
    high[i] = b.high;
    low[i] = b.low;
    close[i] = b.close;
    volume[i] = b.volume;
  }
  return columns;
}

/** Bars [start, end) as views on the same memory (no copy). */
export const sliceColumns = (columns: BarColumns, start: number, end: number): BarColumns => ({
  symbol: columns.symbol,
  length: end - start,
  time: columns.time.subarray(start, end),
  open: columns.open.subarray(start, end),
  high: columns.high.subarray(start, end),
  low: columns.low.subarray(start, end),
  close: columns.close.subarray(start, end),
  volume: columns.volume.subarray(start, end),
});

/** A copy on a SharedArrayBuffer, for handing to worker threads. */
export function shareColumns(columns: BarColumns): BarColumns {
  if (columns.close.buffer instanceof SharedArrayBuffer) return columns;
  const shared = allocateColumns(columns.symbol, columns.length, true);
  for (const f of fields) shared[f].set(columns[f]);
  return shared;
}

export const isColumns = (input: readonly Bar[] | BarColumns): input is BarColumns => !Array.isArray(input);
