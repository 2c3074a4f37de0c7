import { isoDate } from '@tradeyard/market-data';

const WIDTH = 900;
const HEIGHT = 260;
const PAD = { left: 70, right: 12, top: 12, bottom: 24 };

/** A fraction as a percentage with two decimals: 0.1234 -> "12.34%". */
export const formatPercent = (x: number) => `${(x * 100).toFixed(2)}%`;
/** A number with thousands separators and a fixed number of decimals. */
export const formatNumber = (x: number, digits = 2) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
/**
 * A statistic as people read it in a sentence: two significant digits, from two to four decimals
 * (0.0013853 -> "0.0014", -0.8787 -> "−0.88", 12.345 -> "12.35"), a typographic minus, and no
 * minus on what rounds to zero.
 */
export function readableNumber(x: number): string {
  const decimals = x === 0 ? 2 : Math.min(4, Math.max(2, 1 - Math.floor(Math.log10(Math.abs(x)))));
  const text = x.toFixed(decimals);
  return Number(text) === 0 ? text.replace('-', '') : text.replace('-', '\u2212');
}

/** Escapes text for HTML content and attribute values. */
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Indices to draw: all of them for series up to `maxPoints` (20 years of daily bars fit the
 * default 6,000), else the series cut into maxPoints / 3 buckets, each drawn as its first,
 * lowest and highest point in time order, so no peak or trough disappears.
 */
export function sampleIndices(values: ArrayLike<number>, maxPoints = 6000): number[] {
  const n = values.length;
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  const size = Math.ceil(n / Math.floor(maxPoints / 3));
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

export interface ChartSeries {
  label: string;
  /** ms since the epoch, increasing, one per value. */
  time: ArrayLike<number>;
  values: ArrayLike<number>;
  colour: string;
  dashed?: boolean;
}

export interface ChartOptions {
  /** Fill down to zero (one series, e.g. a drawdown). */
  area?: boolean;
  /** Most points drawn per series before reducing to bucket extremes; default 6,000. */
  maxPoints?: number;
}

/** A line chart (or an area down to zero) as inline SVG, with value and date ticks and, for several series, a legend. */
export function svgLineChart(title: string, series: ChartSeries[], format: (v: number) => string, options: ChartOptions = {}): string {
  const drawn = series.filter((s) => s.values.length > 0).map((s) => ({ ...s, indices: sampleIndices(s.values, options.maxPoints) }));
  let min = Infinity;
  let max = -Infinity;
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const s of drawn) {
    for (const i of s.indices) {
      if (s.values[i] < min) min = s.values[i];
      if (s.values[i] > max) max = s.values[i];
    }
    t0 = Math.min(t0, s.time[0]);
    t1 = Math.max(t1, s.time[s.time.length - 1]);
  }
  if (drawn.length === 0) return `<h2>${escapeHtml(title)}</h2>\n<p>No data.</p>`;
  if (options.area) min = Math.min(min, 0);
  if (max === min) max = min + 1;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const span = t1 - t0 || 1;
  const x = (t: number) => PAD.left + ((t - t0) / span) * plotW;
  const y = (v: number) => PAD.top + (1 - (v - min) / (max - min)) * plotH;
  const shapes = drawn.map((s) => {
    const points = s.indices.map((i) => `${x(s.time[i]).toFixed(1)},${y(s.values[i]).toFixed(1)}`).join(' ');
    if (options.area) {
      const first = x(s.time[s.indices[0]]).toFixed(1);
      const last = x(s.time[s.indices[s.indices.length - 1]]).toFixed(1);
      return `<polygon points="${first},${y(0).toFixed(1)} ${points} ${last},${y(0).toFixed(1)}" fill="${s.colour}" fill-opacity="0.35" stroke="${s.colour}" stroke-width="1"/>`;
    }
    return `<polyline points="${points}" fill="none" stroke="${s.colour}" stroke-width="1.2"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`;
  });
  const ticks: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = min + ((max - min) * k) / 4;
    ticks.push(
      `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(format(v))}</text>`,
    );
    const tx = PAD.left + (plotW * k) / 4;
    ticks.push(`<text x="${tx.toFixed(1)}" y="${HEIGHT - 6}" text-anchor="${k === 0 ? 'start' : k === 4 ? 'end' : 'middle'}">${isoDate(t0 + (span * k) / 4)}</text>`);
  }
  // The legend goes under the chart, as text, so it never hides a line.
  const legend =
    drawn.length > 1
      ? `\n<p>${drawn.map((s) => `<span style="color:${s.colour}">${s.dashed ? '- - ' : '&#9473; '}${escapeHtml(s.label)}</span>`).join(' &nbsp; ')}</p>`
      : '';
  return `<h2>${escapeHtml(title)}</h2>
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${escapeHtml(title)}" font-size="11" font-family="sans-serif">
${ticks.join('\n')}
${shapes.join('\n')}
</svg>${legend}`;
}
