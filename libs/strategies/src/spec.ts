import { z } from 'zod';
import { breakout, buyAndHold, rsiReversion, smaCross } from './strategies';
import type { Strategy } from './strategy';

const period = (what: string) =>
  z.number({ error: `${what} must be a number` }).int(`${what} must be a whole number`).min(1, `${what} must be at least 1`).max(10_000, `${what} must be at most 10000`);
const rsiLevel = (what: string) =>
  z.number({ error: `${what} must be a number` }).gt(0, `${what} must be above 0`).lt(100, `${what} must be below 100`);

/**
 * Every strategy as data: its name and validated parameters (defaults are the textbook
 * ones). The CLI, the HTTP API, parameter grids and the live agent all build strategies
 * from this one schema through createStrategy.
 */
export const strategySpecSchema = z.discriminatedUnion(
  'name',
  [
    z.strictObject({ name: z.literal('buy-and-hold') }),
    z
      .strictObject({
        name: z.literal('sma-cross'),
        fast: period('fast').default(50),
        slow: period('slow').default(200),
      })
      .refine((s) => s.fast < s.slow, { message: 'fast must be less than slow', path: ['fast'] }),
    z
      .strictObject({
        name: z.literal('rsi-reversion'),
        period: period('period').default(14),
        buyBelow: rsiLevel('buyBelow').default(30),
        sellAbove: rsiLevel('sellAbove').default(70),
      })
      .refine((s) => s.buyBelow < s.sellAbove, { message: 'buyBelow must be less than sellAbove', path: ['buyBelow'] }),
    z.strictObject({
      name: z.literal('breakout'),
      entryPeriod: period('entryPeriod').default(20),
      exitPeriod: period('exitPeriod').default(10),
    }),
  ],
  { error: 'must be one of buy-and-hold, sma-cross, rsi-reversion, breakout' },
);
export type StrategySpec = z.infer<typeof strategySpecSchema>;
export type StrategySpecInput = z.input<typeof strategySpecSchema>;
export type StrategyName = StrategySpec['name'];
export const strategyNames: readonly StrategyName[] = ['buy-and-hold', 'sma-cross', 'rsi-reversion', 'breakout'];

/** A fresh strategy instance (its own streaming state) for a spec; validates the spec first. */
export function createStrategy(spec: StrategySpecInput): Strategy {
  const s = strategySpecSchema.parse(spec);
  switch (s.name) {
    case 'buy-and-hold':
      return buyAndHold();
    case 'sma-cross':
      return smaCross(s.fast, s.slow);
    case 'rsi-reversion':
      return rsiReversion(s.period, s.buyBelow, s.sellAbove);
    case 'breakout':
      return breakout(s.entryPeriod, s.exitPeriod);
  }
}

/** A validation failure as the API error `details` the gateway contract uses: which field, which rule. */
export function describeIssues(error: z.ZodError, prefix = ''): Array<{ field: string; rule: string }> {
  return error.issues.flatMap((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: path ? `${path}.${key}` : key, rule: 'is not a known field' }));
    }
    return [{ field: path || '(body)', rule: issue.message }];
  });
}

/** One line per issue, "field: rule". */
export const issueText = (error: z.ZodError, prefix = '') => describeIssues(error, prefix).map((d) => `${d.field}: ${d.rule}`).join('; ');
