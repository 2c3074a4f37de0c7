import { isoDate } from '@tradeyard/market-data';
import type { BacktestResult } from './engine';
import { drawdownSeries } from './metrics';

const WIDTH = 900;
const HEIGHT = 260;
const PAD = { left: 70, right: 12, top: 12, bottom: 24 };
/** Series up to this length are drawn point for point (20 years of daily bars fit). */
const MAX_POINTS = 6000;
/** Longer series are reduced to this many buckets, each drawn as its first, lowest and highest point. */
const BUCKETS = 2000;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const num = (x: number, digits = 2) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Indices to draw: all of them for short series, else first/min/max of each bucket in time order. */
function sampleIndices(values: Float64Array): number[] {
  const n = values.length;
  if (n <= MAX_POINTS) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  const size = Math.ceil(n / BUCKETS);
  for (let start = 0; start < n; start += size) {
    const end = Math.min(n, start + size);
    let lo = start;
    let hi = start;
    for (let i = start; i < end; i++) {
      if (values[i] < values[lo]) lo = i;
      if (values[i] > values[hi]) hi = i;
    }
    for (const i of new Set([start, lo, hi].sort((a, b) => a - b))) out.push(i);
  }
  if (out[out.length - 1] !== n - 1) out.push(n - 1);
  return out;
}

/** A line (or area down to zero) chart as inline SVG, with value and date ticks. */
function svgChart(title: string, time: Float64Array, values: Float64Array, format: (v: number) => string, colour: string, area: boolean): string {
  const indices = sampleIndices(values);
  let min = Infinity;
  let max = -Infinity;
  for (const i of indices) {
    if (values[i] < min) min = values[i];
    if (values[i] > max) max = values[i];
  }
  if (area) min = Math.min(min, 0);
  if (max === min) max = min + 1;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const t0 = time[0];
  const span = time[time.length - 1] - t0 || 1;
  const x = (i: number) => PAD.left + ((time[i] - t0) / span) * plotW;
  const y = (v: number) => PAD.top + (1 - (v - min) / (max - min)) * plotH;
  const points = indices.map((i) => `${x(i).toFixed(1)},${y(values[i]).toFixed(1)}`).join(' ');
  const shape = area
    ? `<polygon points="${x(indices[0]).toFixed(1)},${y(0).toFixed(1)} ${points} ${x(indices[indices.length - 1]).toFixed(1)},${y(0).toFixed(1)}" fill="${colour}" fill-opacity="0.35" stroke="${colour}" stroke-width="1"/>`
    : `<polyline points="${points}" fill="none" stroke="${colour}" stroke-width="1.2"/>`;
  const ticks: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = min + ((max - min) * k) / 4;
    ticks.push(
      `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(format(v))}</text>`,
    );
    const t = t0 + (span * k) / 4;
    const tx = PAD.left + (plotW * k) / 4;
    ticks.push(`<text x="${tx.toFixed(1)}" y="${HEIGHT - 6}" text-anchor="${k === 0 ? 'start' : k === 4 ? 'end' : 'middle'}">${isoDate(t)}</text>`);
  }
  return `<h2>${escapeHtml(title)}</h2>
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${escapeHtml(title)}" font-size="11" font-family="sans-serif">
${ticks.join('\n')}
${shape}
</svg>`;
}

/**
 * A self-contained HTML report (no scripts, no network): metrics, the equity curve, the
 * drawdown curve (drawn as negative fractions below the running peak) and the trade log.
 */
export function renderHtmlReport(result: BacktestResult): string {
  const drawdown = drawdownSeries(result.equity, result.initialCash).map((d) => -d);
  const rows: Array<[string, string]> = [
    ['Strategy', result.strategy],
    ['Symbol', result.symbol],
    ['Period', `${result.from} to ${result.to} (${result.bars} bars)`],
    ['Initial cash', num(result.initialCash)],
    ['Final equity', num(result.finalEquity)],
    ['Total return', pct(result.totalReturn)],
    ['CAGR', pct(result.cagr)],
    ['Sharpe', num(result.sharpe, 3)],
    ['Sortino', num(result.sortino, 3)],
    ['Annualised volatility', pct(result.volatility)],
    ['Max drawdown', pct(result.maxDrawdown)],
    ['Trades', String(result.trades)],
    ['Win rate', pct(result.winRate)],
    ['Exposure', pct(result.exposure)],
    ['Fees paid', num(result.fees)],
  ];
  const trades = result.tradeLog
    .map(
      (t) =>
        `<tr><td>${t.entryTime}</td><td>${t.exitTime}${t.open ? ' (open)' : ''}</td><td>${num(t.entryPrice)}</td><td>${num(t.exitPrice)}</td><td>${num(t.quantity, 4)}</td><td>${num(t.pnl)}</td><td>${pct(t.return)}</td><td>${t.bars}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Backtest ${escapeHtml(result.strategy)} on ${escapeHtml(result.symbol)}</title>
<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #eee;text-align:right}td:first-child,th:first-child{text-align:left}</style>
</head><body>
<h1>Backtest: ${escapeHtml(result.strategy)} on ${escapeHtml(result.symbol)}</h1>
<p>Decisions at a bar's close fill at the next bar's open; equity marked at each close.</p>
<table>${rows.map(([k, v]) => `<tr><td>${k}</td><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
${svgChart('Equity', result.time, result.equity, (v) => num(v, 0), '#1f77b4', false)}
${svgChart('Drawdown', result.time, drawdown, (v) => pct(v), '#d62728', true)}
<h2>Trades</h2>
<table><tr><th>Entry</th><th>Exit</th><th>Entry price</th><th>Exit price</th><th>Quantity</th><th>P&amp;L</th><th>Return</th><th>Bars</th></tr>
${trades}
</table>
</body></html>
`;
}
