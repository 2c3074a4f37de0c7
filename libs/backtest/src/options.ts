import { z } from 'zod';

const nonNegative = (what: string) => z.number({ error: `${what} must be a number` }).finite(`${what} must be finite`).min(0, `${what} must be 0 or more`);

/** Backtest options, validated wherever they come from outside (CLI, HTTP, grid spec files). */
export const backtestOptionsSchema = z.strictObject({
  initialCash: z.number({ error: 'initialCash must be a number' }).finite().positive('initialCash must be above 0').default(100_000),
  wholeShares: z.boolean({ error: 'wholeShares must be true or false' }).default(false),
  feePerTrade: nonNegative('feePerTrade').default(0),
  feePerShare: nonNegative('feePerShare').default(0),
  feeMinimum: nonNegative('feeMinimum').default(0),
  feeBps: nonNegative('feeBps').max(10_000, 'feeBps must be at most 10000').default(0),
  slippageBps: nonNegative('slippageBps').max(10_000, 'slippageBps must be at most 10000').default(0),
  barsPerYear: z.number({ error: 'barsPerYear must be a number' }).positive('barsPerYear must be above 0').default(252),
});
export type BacktestSettings = z.infer<typeof backtestOptionsSchema>;

export interface BacktestOptions extends Partial<BacktestSettings> {
  /** Called every 65,536 bars and at the end, for progress bars on long runs. */
  onProgress?: (done: number, total: number) => void;
}
