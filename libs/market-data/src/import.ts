import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { barSchema, type Bar } from './bar';

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

/** A time column may be ms epoch or an ISO date/time (UTC when no zone is given). */
function parseTime(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  const text = String(raw).trim();
  if (/^\d+$/.test(text)) return Number(text);
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? text : `${text}Z`;
  return Date.parse(iso);
}

function validate(raw: Record<string, unknown>, file: string, line: number, issues: ImportIssue[], bars: Bar[]) {
  const candidate: Record<string, unknown> = {};
  for (const c of columns) {
    const v = raw[c];
    if (v === undefined || v === '') {
      issues.push({ file, line, field: c, message: 'is missing' });
      return;
    }
    candidate[c] = c === 'symbol' ? String(v) : c === 'time' ? parseTime(v) : typeof v === 'number' ? v : Number(String(v).trim());
  }
  if (Number.isNaN(candidate.time)) {
    issues.push({ file, line, field: 'time', message: `is not a date or ms timestamp: ${String(raw.time)}` });
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
 * Parses a user's bars: CSV with a header naming symbol,time,open,high,low,close,volume (any order)
 * or JSONL with one bar object a line. All or nothing: any bad row fails the whole import.
 */
export function importBars(text: string, file: string, format: 'csv' | 'jsonl' = file.endsWith('.jsonl') ? 'jsonl' : 'csv'): Bar[] {
  const lines = text.split(/\r?\n/);
  const issues: ImportIssue[] = [];
  const bars: Bar[] = [];
  if (format === 'csv') {
    const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
    const missing = columns.filter((c) => !header.includes(c));
    if (missing.length) throw new BarImportError(missing.map((field) => ({ file, line: 1, field, message: 'column is missing from the header' })));
    for (let i = 1; i < lines.length; i++) {
      if (!lines[i].trim()) continue;
      const cells = lines[i].split(',');
      if (cells.length !== header.length) {
        issues.push({ file, line: i + 1, field: 'row', message: `has ${cells.length} fields, the header has ${header.length}` });
        continue;
      }
      validate(Object.fromEntries(header.map((h, j) => [h, cells[j]])), file, i + 1, issues, bars);
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
      else validate(row as Record<string, unknown>, file, i + 1, issues, bars);
    }
  }
  if (issues.length) throw new BarImportError(issues);
  return bars;
}

export function importBarsFile(path: string): Bar[] {
  return importBars(readFileSync(path, 'utf8'), basename(path));
}
