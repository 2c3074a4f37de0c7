import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type BacktestSettings, type BarColumns, expandStrategyGrid } from '@tradeyard/backtest';
import { z } from 'zod';
import { gridOutput, runBuiltinGrid, type RunIo } from './builtin';

/** A grid spec for the worker mode (`main.js backtest-worker`); see the app README. */
export const gridSpecSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dot, dash or underscore').optional(),
  data: z
    .strictObject({
      source: z.string().min(1).describe('sp500 or the path of a .csv file'),
      symbol: z.string().optional(),
      from: z.string().optional(),
      to: z.string().optional(),
    })
    .default({ source: 'sp500' }),
  strategies: z
    .array(z.looseObject({ name: z.string({ error: 'must be a strategy name' }) }))
    .min(1, 'must list at least one strategy'),
  options: z.record(z.string(), z.unknown()).default({}),
  workers: z.number().int().min(1).optional(),
});
export type GridSpec = z.infer<typeof gridSpecSchema>;

/** Writes a file, making its folder first. */
export function writeOutput(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/**
 * Runs every combination of a grid spec on worker threads and writes the results to
 * DATA_DIR/backtests/<name>.json; answers the line that says so.
 */
export async function runGridSpec(spec: GridSpec, columns: BarColumns, options: BacktestSettings, dataDir: string, io: RunIo): Promise<string> {
  const specs = spec.strategies.flatMap((s) => expandStrategyGrid(s));
  const startedAt = new Date();
  const runs = await runBuiltinGrid(columns, specs, options, spec.workers, io);
  const finishedAt = new Date();
  const name = spec.name ?? `grid-${startedAt.toISOString().replace(/[:.]/g, '-')}`;
  const path = join(dataDir, 'backtests', `${name}.json`);
  const json = { name, data: spec.data, startedAt: startedAt.toISOString(), finishedAt: finishedAt.toISOString(), ...gridOutput(columns, runs) };
  writeOutput(path, JSON.stringify(json, null, 2) + '\n');
  return `${runs.length} runs (${runs.filter((r) => r.error).length} invalid) in ${(finishedAt.getTime() - startedAt.getTime()) / 1000}s written to ${path}\n`;
}
