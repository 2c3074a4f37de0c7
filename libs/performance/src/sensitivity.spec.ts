import fc from 'fast-check';
import { type GridPoint, heatmapHtml, heatmapText, sensitivityHeatmap, variedParameters } from './sensitivity';

const point = (params: Record<string, unknown>, value: number | null): GridPoint => ({ params, value });

describe('sensitivityHeatmap', () => {
  // sma-cross-like grid: fast × slow, metric = fast / slow, one failed run.
  const grid = [10, 20, 100].flatMap((fast) => [50, 200].map((slow) => point({ name: 'sma-cross', fast, slow }, fast === 100 && slow === 50 ? null : fast / slow)));

  it('lays a two-parameter grid out as a matrix, values sorted as numbers, a failed run as an empty cell', () => {
    expect(sensitivityHeatmap([...grid, point({ fast: 5, slow: 50 }, null)], { x: 'fast', y: 'slow' }).xValues).toEqual([10, 20, 100]);
    const h = sensitivityHeatmap(grid, { x: 'fast', y: 'slow', metric: 'sharpe' });
    expect(h.xValues).toEqual([10, 20, 100]);
    expect(h.yValues).toEqual([50, 200]);
    expect(h.cells).toEqual([
      [0.2, 0.4, null],
      [0.05, 0.1, 0.5],
    ]);
    expect(h.best).toEqual({ params: { name: 'sma-cross', fast: 100, slow: 200 }, value: 0.5 });
    expect(h.heldAt).toEqual({ name: 'sma-cross' });
    expect(h.runs).toBe(5);
    const failed = sensitivityHeatmap(grid.map((p) => ({ ...p, value: null })), { x: 'fast', y: 'slow' });
    expect(failed).toMatchObject({ xValues: [], yValues: [], cells: [], best: null, runs: 0 });
    expect(heatmapText(failed).split('\n')[1]).toBe('slow \\ fast');
  });

  // Three parameters: value = a + b + (c === 1 ? 10 : c === 2 ? 0 : 3); the best run has c = 1.
  const three = [1, 2].flatMap((a) => [1, 2].flatMap((b) => [1, 2, 3].map((c) => point({ a, b, c }, a + b + (c === 1 ? 10 : c === 2 ? 0 : 3)))));

  it('holds the other parameters at the best run\'s values by default', () => {
    const h = sensitivityHeatmap(three, { x: 'a', y: 'b' });
    expect(h.aggregate).toBe('best');
    expect(h.heldAt).toEqual({ c: 1 });
    expect(h.cells).toEqual([
      [12, 13],
      [13, 14],
    ]);
  });

  it('or takes the median over the other parameters', () => {
    const h = sensitivityHeatmap(three, { x: 'a', y: 'b', aggregate: 'median' });
    expect(h.heldAt).toBeNull();
    // a=1, b=1: 12, 2, 5 → 5
    expect(h.cells).toEqual([
      [5, 6],
      [6, 7],
    ]);
    const even = sensitivityHeatmap([point({ a: 1, b: 1, c: 1 }, 1), point({ a: 1, b: 1, c: 2 }, 4)], { x: 'a', y: 'b', aggregate: 'median' });
    expect(even.cells).toEqual([[2.5]]);
  });

  it('takes the lowest as best when lower is better (a drawdown)', () => {
    const h = sensitivityHeatmap(three, { x: 'a', y: 'c', better: 'lower', metric: 'maxDrawdown' });
    expect(h.best).toEqual({ params: { a: 1, b: 1, c: 2 }, value: 2 });
    expect(h.heldAt).toEqual({ b: 1 });
    expect(h.cells).toEqual([
      [12, 13],
      [2, 3],
      [5, 6],
    ]);
  });

  it('keeps strings and booleans apart from numbers that print alike', () => {
    const h = sensitivityHeatmap([point({ x: 1, y: true }, 1), point({ x: '1', y: false }, 2), point({ x: 'a', y: true }, 3)], { x: 'x', y: 'y', aggregate: 'median' });
    expect(h.xValues).toEqual([1, '1', 'a']);
    expect(h.yValues).toEqual([false, true]);
    expect(h.cells).toEqual([
      [null, 2, null],
      [1, null, 3],
    ]);
  });

  it.each([
    [{ x: 'fast', y: 'fast' }, 'y must differ from x, both are fast'],
    [{ x: 'fats', y: 'slow' }, 'x: no run has the parameter fats'],
    [{ x: 'fast', y: 'slow', aggregate: 'mean' }, 'aggregate must be best or median, got mean'],
  ])('refuses %j', (options, message) => {
    expect(() => sensitivityHeatmap(grid, options as never)).toThrow(message);
  });

  it('refuses a parameter that is not a number, string or boolean, and more than a million cells', () => {
    expect(() => sensitivityHeatmap([point({ x: [1], y: 1 }, 1)], { x: 'x', y: 'y' })).toThrow('x: parameter x must hold numbers, strings or booleans, got [1]');
    const wide = Array.from({ length: 1001 }, (_, i) => point({ x: i, y: i }, i));
    expect(() => sensitivityHeatmap(wide, { x: 'x', y: 'y' })).toThrow('x: x × y make 1002001 cells, at most 1000000');
  });

  it('finds the parameters a grid varies, in the order they appear', () => {
    expect(variedParameters(grid)).toEqual(['fast', 'slow']);
    expect(variedParameters([point({ a: 1, b: 2 }, 0), point({ a: 1, b: 3, c: 4 }, 0)])).toEqual(['b', 'c']);
  });

  const grids = fc
    .record({ xs: fc.integer({ min: 1, max: 5 }), ys: fc.integer({ min: 1, max: 5 }), zs: fc.integer({ min: 1, max: 4 }) })
    .chain(({ xs, ys, zs }) =>
      fc.array(fc.option(fc.double({ min: -10, max: 10, noNaN: true }), { nil: null }), { minLength: xs * ys * zs, maxLength: xs * ys * zs }).map((values) =>
        values.map((value, k) => point({ x: k % xs, y: Math.floor(k / xs) % ys, z: Math.floor(k / (xs * ys)) }, value)),
      ),
    );

  it('puts the best run on the best-slice map, no cell better than it; medians stay within their runs', () => {
    fc.assert(
      fc.property(grids, (points) => {
        const best = sensitivityHeatmap(points, { x: 'x', y: 'y' });
        const filled = best.cells.flat().filter((v): v is number => v !== null);
        if (best.best === null) return expect(filled).toEqual([]);
        expect(Math.max(...filled)).toBe(best.best.value);
        expect(best.cells[best.yValues.indexOf(best.best.params.y as number)][best.xValues.indexOf(best.best.params.x as number)]).toBe(best.best.value);
        const median = sensitivityHeatmap(points, { x: 'x', y: 'y', aggregate: 'median' });
        median.cells.forEach((row, r) =>
          row.forEach((v, c) => {
            const runs = points.filter((p) => p.params.x === median.xValues[c] && p.params.y === median.yValues[r] && p.value !== null).map((p) => p.value!);
            if (runs.length === 0) expect(v).toBeNull();
            else expect(v! >= Math.min(...runs) && v! <= Math.max(...runs)).toBe(true);
          }),
        );
      }),
    );
  });
});

describe('heatmap as text and HTML', () => {
  const h = sensitivityHeatmap(
    [10, 20].flatMap((fast) => [50, 200].map((slow) => point({ fast, slow, name: '<x>' }, fast / slow))),
    { x: 'fast', y: 'slow', metric: 'sharpe' },
  );

  it('prints a caption and a matrix with the best cell marked', () => {
    expect(heatmapText(h)).toBe(
      [
        "sharpe by fast (columns) and slow (rows), higher is better; other parameters at the best run's values (name=<x>); 4 runs",
        'slow \\ fast     10      20',
        '50           0.200  0.400*',
        '200          0.050   0.100',
      ].join('\n'),
    );
  });

  it('shades cells from the worst to the best and escapes every string', () => {
    const html = heatmapHtml(h);
    expect(html).toContain('<span style="background:rgb(105,255,105)"><b>0.400</b></span>');
    expect(html).toContain('<span style="background:rgb(255,105,105)">0.050</span>');
    expect(html).toContain('name=&#60;x&#62;');
    expect(html).not.toContain('<x>');
  });
});
