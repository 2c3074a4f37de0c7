import { join } from 'node:path';
import { loadSp500 } from '@tradeyard/market-data';
import { toColumns } from './columns';
import { expandStrategyGrid, type GridInput, GridPool, runGrid, runGridInline } from './grid';

const workerOptions = { workerFile: join(__dirname, '__fixtures__/grid-worker.js') };

describe('parameter grids on worker threads', () => {
  const sp500 = toColumns(loadSp500());
  const input: GridInput = {
    datasets: [sp500],
    jobs: [
      ...expandStrategyGrid({ name: 'sma-cross', fast: [10, 20, 50], slow: [100, 200] }).map((strategy) => ({ dataset: 0, strategy })),
      { dataset: 0, strategy: { name: 'sma-cross', fast: 200, slow: 50 } },
      { dataset: 3, strategy: { name: 'buy-and-hold' } },
    ],
    options: { feeBps: 5 },
  };

  it('matches the same grid run on the main thread, job for job, and reports bad jobs as errors', async () => {
    const progress: number[] = [];
    const parallel = await runGrid(input, { ...workerOptions, workers: 2, onProgress: (done) => progress.push(done) });
    expect(parallel).toEqual(runGridInline(input));
    expect(parallel.slice(0, 6).every((o) => o.summary && o.summary.bars === 5105 && o.summary.settings.feeBps === 5)).toBe(true);
    expect(parallel[6].error).toBe('fast: fast must be less than slow');
    expect(parallel[7].error).toBe('dataset 3 does not exist');
    expect(progress.at(-1)).toBe(8);
  });

  it('keeps its workers between grids: each grid gets its own datasets and options, outcomes match the main thread', async () => {
    const pool = new GridPool({ ...workerOptions, workers: 2 });
    try {
      const other: GridInput = { datasets: [toColumns(loadSp500().slice(0, 600))], jobs: [{ dataset: 0, strategy: { name: 'sma-cross', fast: 5, slow: 20 } }], options: { feeBps: 0 } };
      const [first, second, third] = await Promise.all([pool.run(input), pool.run(other), pool.run(input)]);
      expect(first).toEqual(runGridInline(input));
      expect(second).toEqual(runGridInline(other));
      expect(second[0].summary?.bars).toBe(600);
      expect(third).toEqual(first);
    } finally {
      await pool.close();
    }
  });

  it('fails instead of hanging when the worker script is broken', async () => {
    await expect(runGrid(input, { workerFile: join(__dirname, '__fixtures__/missing.js'), workers: 1 })).rejects.toThrow('backtest worker failed');
    const pool = new GridPool({ workerFile: join(__dirname, '__fixtures__/missing.js'), workers: 1 });
    await expect(pool.run(input)).rejects.toThrow('backtest worker failed');
    await expect(pool.run(input)).rejects.toThrow('backtest worker failed');
    await pool.close();
  });
});

it('expandStrategyGrid gives one spec per combination, in parameter order', () => {
  expect(expandStrategyGrid({ name: 'sma-cross', fast: [10, 20], slow: [100, 200] })).toEqual([
    { name: 'sma-cross', fast: 10, slow: 100 },
    { name: 'sma-cross', fast: 10, slow: 200 },
    { name: 'sma-cross', fast: 20, slow: 100 },
    { name: 'sma-cross', fast: 20, slow: 200 },
  ]);
  expect(expandStrategyGrid({ name: 'buy-and-hold' })).toEqual([{ name: 'buy-and-hold' }]);
});
