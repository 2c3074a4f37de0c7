import { heat } from './html';
import { escapeHtml } from './svg';
import { htmlTable, textTable } from './tables';

/** A parameter value a heatmap axis can hold. */
export type ParamValue = number | string | boolean;

/** One run of a grid: its parameters and the metric it scored (null, or not finite, for a run that failed). */
export interface GridPoint {
  params: Readonly<Record<string, unknown>>;
  value: number | null;
}

export interface HeatmapOptions {
  /** The parameter along the columns. */
  x: string;
  /** The parameter along the rows. */
  y: string;
  /** The metric's name, for the titles; default "value". */
  metric?: string;
  /** Which way the metric is better; default higher. */
  better?: 'higher' | 'lower';
  /**
   * What a cell shows when the grid varies more than x and y. `best` (default): the slice through
   * the best run, every other parameter held at that run's value, so the map shows whether the
   * best run sits on a plateau or a spike. `median`: the median over every run with that x and y.
   */
  aggregate?: 'best' | 'median';
}

export interface SensitivityHeatmap {
  metric: string;
  better: 'higher' | 'lower';
  aggregate: 'best' | 'median';
  x: string;
  y: string;
  /** Distinct values, ascending (numbers first, then the others by their text). */
  xValues: ParamValue[];
  yValues: ParamValue[];
  /** cells[row][column]: the metric at yValues[row], xValues[column]; null where no run gives it. */
  cells: Array<Array<number | null>>;
  /** `best`: the values the other parameters are held at (the best run's); `median`: null. */
  heldAt: Record<string, unknown> | null;
  /** The best run of the whole grid. */
  best: { params: Record<string, unknown>; value: number } | null;
  /** Runs with a finite metric, the ones the map is made of. */
  runs: number;
}

/** Cells a heatmap may have (columns × rows): bounds its memory and its text whatever the grid. */
export const MAX_HEATMAP_CELLS = 1_000_000;

const canonical = (v: unknown) => (typeof v === 'string' ? `s:${v}` : JSON.stringify(v) ?? 'undefined');
const isParamValue = (v: unknown): v is ParamValue => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
const compareValues = (a: ParamValue, b: ParamValue) =>
  typeof a === 'number' && typeof b === 'number' ? a - b : typeof a === 'number' ? -1 : typeof b === 'number' ? 1 : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;

/** The parameters whose value differs between runs, in the order they first appear: the axes a heatmap can take. */
export function variedParameters(points: readonly GridPoint[]): string[] {
  const seen = new Map<string, Set<string>>();
  for (const p of points) for (const [k, v] of Object.entries(p.params)) (seen.get(k) ?? seen.set(k, new Set()).get(k)!).add(canonical(v));
  const keys = [...seen.keys()];
  // A parameter some runs lack varies too (present in some, absent in others).
  return keys.filter((k) => seen.get(k)!.size > 1 || points.some((p) => !(k in p.params)));
}

/** The distinct values of a parameter among the scored runs: a value only failed runs had makes no column of blanks. */
function axisValues(points: readonly GridPoint[], scored: readonly GridPoint[], name: string, field: 'x' | 'y'): ParamValue[] {
  if (!points.some((p) => p.params[name] !== undefined)) throw new RangeError(`${field}: no run has the parameter ${name}`);
  const values = new Map<string, ParamValue>();
  for (const p of scored) {
    const v = p.params[name];
    if (v === undefined) continue;
    if (!isParamValue(v)) throw new RangeError(`${field}: parameter ${name} must hold numbers, strings or booleans, got ${JSON.stringify(v)}`);
    values.set(canonical(v), v);
  }
  return [...values.values()].sort(compareValues);
}

const median = (values: number[]) => {
  const sorted = values.sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** The slice of runs whose parameters other than x and y equal the best run's. */
function sliceThrough(points: readonly GridPoint[], best: GridPoint, x: string, y: string): GridPoint[] {
  const others = new Set([...points.flatMap((p) => Object.keys(p.params)), ...Object.keys(best.params)]);
  others.delete(x);
  others.delete(y);
  return points.filter((p) => [...others].every((k) => canonical(p.params[k]) === canonical(best.params[k])));
}

/**
 * A parameter-sensitivity heatmap of a grid: the metric over two of its parameters, the others
 * held at the best run's values or aggregated by their median (`aggregate`). Runs without a
 * finite metric are left out (the axes hold the values of the others); a cell no run gives is null.
 */
export function sensitivityHeatmap(points: readonly GridPoint[], options: HeatmapOptions): SensitivityHeatmap {
  const { x, y } = options;
  const better = options.better ?? 'higher';
  const aggregate = options.aggregate ?? 'best';
  if (x === y) throw new RangeError(`y must differ from x, both are ${x}`);
  if (better !== 'higher' && better !== 'lower') throw new RangeError(`better must be higher or lower, got ${String(better)}`);
  if (aggregate !== 'best' && aggregate !== 'median') throw new RangeError(`aggregate must be best or median, got ${String(aggregate)}`);
  const scored = points.filter((p) => typeof p.value === 'number' && Number.isFinite(p.value) && p.params[x] !== undefined && p.params[y] !== undefined);
  const xValues = axisValues(points, scored, x, 'x');
  const yValues = axisValues(points, scored, y, 'y');
  if (xValues.length * yValues.length > MAX_HEATMAP_CELLS) {
    throw new RangeError(`x: ${x} × ${y} make ${xValues.length * yValues.length} cells, at most ${MAX_HEATMAP_CELLS}`);
  }
  const isBetter = (a: number, b: number) => (better === 'higher' ? a > b : a < b);
  const best = scored.reduce<GridPoint | undefined>((top, p) => (top === undefined || isBetter(p.value!, top.value!) ? p : top), undefined);
  const column = new Map(xValues.map((v, i) => [canonical(v), i]));
  const row = new Map(yValues.map((v, i) => [canonical(v), i]));
  const values: number[][][] = yValues.map(() => xValues.map(() => []));
  for (const p of aggregate === 'best' && best ? sliceThrough(scored, best, x, y) : scored) {
    values[row.get(canonical(p.params[y]))!][column.get(canonical(p.params[x]))!].push(p.value!);
  }
  const cell = (vs: number[]) => (vs.length === 0 ? null : aggregate === 'median' ? median(vs) : vs.reduce((a, b) => (isBetter(b, a) ? b : a)));
  const heldAt = aggregate === 'best' && best ? Object.fromEntries(Object.entries(best.params).filter(([k]) => k !== x && k !== y)) : null;
  return {
    metric: options.metric ?? 'value',
    better,
    aggregate,
    x,
    y,
    xValues,
    yValues,
    cells: values.map((r) => r.map(cell)),
    heldAt,
    best: best ? { params: { ...best.params }, value: best.value! } : null,
    runs: scored.length,
  };
}

function caption(h: SensitivityHeatmap): string {
  const held = h.heldAt && Object.keys(h.heldAt).length > 0 ? Object.entries(h.heldAt).map(([k, v]) => `${k}=${String(v)}`).join(', ') : null;
  const rest =
    h.aggregate === 'median'
      ? 'each cell the median over the other parameters'
      : held
        ? `other parameters at the best run's values (${held})`
        : 'one run per cell';
  return `${h.metric} by ${h.x} (columns) and ${h.y} (rows), ${h.better} is better; ${rest}; ${h.runs} runs`;
}

const isBestCell = (h: SensitivityHeatmap, r: number, c: number) =>
  h.best !== null && h.aggregate === 'best' && canonical(h.best.params[h.y]) === canonical(h.yValues[r]) && canonical(h.best.params[h.x]) === canonical(h.xValues[c]);

/** The heatmap as a plain-text table for a terminal; the best run's cell is marked with *. */
export function heatmapText(h: SensitivityHeatmap, format: (v: number) => string = (v) => v.toFixed(3)): string {
  const head = [`${h.y} \\ ${h.x}`, ...h.xValues.map(String)];
  const body = h.cells.map((cells, r) => [String(h.yValues[r]), ...cells.map((v, c) => (v === null ? '–' : format(v) + (isBestCell(h, r, c) ? '*' : '')))]);
  return `${caption(h)}\n${textTable([head, ...body])}`;
}

/** The heatmap as an HTML section: cells shaded from red (worst) to green (best), the best run's in bold; every string escaped. */
export function heatmapHtml(h: SensitivityHeatmap, format: (v: number) => string = (v) => v.toFixed(3)): string {
  const filled = h.cells.flat().filter((v): v is number => v !== null);
  const lo = Math.min(...filled);
  const hi = Math.max(...filled);
  // heat() is full strength at ±0.1: the worst cell maps to -0.1, the best to +0.1.
  const shade = (v: number) => heat(hi === lo ? 0 : ((h.better === 'higher' ? v - lo : hi - v) / (hi - lo) - 0.5) * 0.2);
  const body = h.cells.map((cells, r) => [
    escapeHtml(String(h.yValues[r])),
    ...cells.map((v, c) => {
      if (v === null) return '';
      const text = escapeHtml(format(v));
      return `<span style="background:${shade(v)}">${isBestCell(h, r, c) ? `<b>${text}</b>` : text}</span>`;
    }),
  ]);
  return `<h2>Parameter sensitivity: ${escapeHtml(h.metric)}</h2>\n<p>${escapeHtml(caption(h))}</p>\n${htmlTable([`${h.y} \\ ${h.x}`, ...h.xValues.map(String)], body)}`;
}
