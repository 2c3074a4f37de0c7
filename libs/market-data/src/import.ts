import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { barSchema, type Bar } from './bar';
import { parseBarTime } from './time';

export interface ImportIssue {
  file: string;
  line: number;
  field: string;
  message: string;
}

/** The whole import failed; nothing was loaded. Lists every bad row, not just the first. */
export class BarImportError extends Error {
  constructor(readonly issues: ImportIssue[]) {
    super(
      issues
        .slice(0, 20)
        .map((i) => `${i.file}:${i.line}: ${i.field} ${i.message}`)
        .join('\n') + (issues.length > 20 ? `\n... and ${issues.length - 20} more` : ''),
    );
    this.name = 'BarImportError';
  }
}

const columns = ['symbol', 'time', 'open', 'high', 'low', 'close', 'volume'] as const;
/** Header names a CSV file may give its time column. */
export const csvTimeColumns = ['time', 'date', 'timestamp', 'datetime'];

export interface ImportOptions {
  /** The symbol of every bar when the rows name none (a CSV without a symbol column). */
  symbol?: string;
  /** How the time column is called, for messages (a CSV header may say date, timestamp...). */
  timeField?: string;
}

function validate(raw: Record<string, unknown>, file: string, line: number, issues: ImportIssue[], bars: Bar[], options: ImportOptions = {}) {
  const candidate: Record<string, unknown> = {};
  const row: Record<string, unknown> = { volume: 0, ...(options.symbol === undefined ? {} : { symbol: options.symbol }), ...raw };
  for (const c of columns) {
    const v = row[c];
    if (v === undefined || v === '') {
      issues.push({ file, line, field: c, message: 'is missing' });
      return;
    }
    candidate[c] = c === 'symbol' ? String(v) : c === 'time' ? parseBarTime(v) : typeof v === 'number' ? v : Number(String(v).trim());
  }
  if (Number.isNaN(candidate.time)) {
    issues.push({ file, line, field: options.timeField ?? 'time', message: `cannot read "${String(raw.time).trim()}" as a date or time` });
    return;
  }
  const parsed = barSchema.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) issues.push({ file, line, field: issue.path.join('.') || 'row', message: issue.message });
    return;
  }
  bars.push(parsed.data);
}

/**
 * The one parser of bars from text: CSV with a header naming symbol, time (or date, timestamp,
 * datetime), open, high, low, close and volume, in any order and any case (symbol may be left out
 * when `options.symbol` is given, volume is 0 when left out, other columns are ignored), or JSONL
 * with one bar object a line. Times as `parseBarTime` reads them. All or nothing: any bad row
 * fails the whole import, with every bad row listed. CSV is split by hand: numeric OHLCV files
 * carry no quoted fields.
 */
export function importBars(text: string, file: string, format: 'csv' | 'jsonl' = file.endsWith('.jsonl') ? 'jsonl' : 'csv', options: ImportOptions = {}): Bar[] {
  const lines = text.split(/\r?\n/);
  const issues: ImportIssue[] = [];
  const bars: Bar[] = [];
  if (format === 'csv') {
    const names = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
    const timeField = names.find((name) => csvTimeColumns.includes(name));
    const header = names.map((name) => (name === timeField ? 'time' : name));
    const required = columns.filter((c) => c !== 'volume' && !(c === 'symbol' && options.symbol !== undefined));
    const missing = required.filter((c) => !header.includes(c));
    if (missing.length) {
      throw new BarImportError(
        missing.map((field) => ({ file, line: 1, field: field === 'time' ? csvTimeColumns.join('/') : field, message: 'column is missing from the header' })),
      );
    }
    const csvOptions = { ...options, timeField };
    for (let i = 1; i < lines.length; i++) {
      if (!lines[i].trim()) continue;
      const cells = lines[i].split(',');
      if (cells.length !== header.length) {
        issues.push({ file, line: i + 1, field: 'row', message: `has ${cells.length} fields, the header has ${header.length}` });
        continue;
      }
      validate(Object.fromEntries(header.map((h, j) => [h, cells[j]])), file, i + 1, issues, bars, csvOptions);
    }
  } else {
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i].trim()) continue;
      let row: unknown;
      try {
        row = JSON.parse(lines[i]);
      } catch (error) {
        issues.push({ file, line: i + 1, field: 'row', message: `is not valid JSON: ${(error as Error).message}` });
        continue;
      }
      if (typeof row !== 'object' || row === null || Array.isArray(row)) issues.push({ file, line: i + 1, field: 'row', message: 'must be a JSON object' });
      else validate(row as Record<string, unknown>, file, i + 1, issues, bars, options);
    }
  }
  if (issues.length) throw new BarImportError(issues);
  return bars;
}

export function importBarsFile(path: string, options: ImportOptions = {}): Bar[] {
  return importBars(readFileSync(path, 'utf8'), basename(path), undefined, options);
}
