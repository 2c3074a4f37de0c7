import type { ParamSpecs } from '@tradeyard/strategy';
import { z } from 'zod';
import { builtinStrategies } from './builtin';
import { singleSymbolStrategy, type Strategy } from './strategy';

const period = (what: string) =>
  z.number({ error: `${what} must be a number` }).int(`${what} must be a whole number`).min(1, `${what} must be at least 1`).max(10_000, `${what} must be at most 10000`);
const rsiLevel = (what: string) =>
  z.number({ error: `${what} must be a number` }).gt(0, `${what} must be above 0`).lt(100, `${what} must be below 100`);

/** The default a built-in strategy's file declares for a parameter. */
const declared = (name: keyof typeof builtinStrategies, param: string) => (builtinStrategies[name].params as ParamSpecs)[param].default as number;

/**
 * Every built-in strategy as data: its name and validated parameters, with the defaults its file
 * declares (the textbook ones). The CLI, the HTTP API, parameter grids and the live agent all
 * build single-symbol strategies from this one schema through createStrategy; the strategies'
 * own spec checks that its ranges are the ones the files declare.
 */
export const strategySpecSchema = z.discriminatedUnion(
  'name',
  [
    z.strictObject({ name: z.literal('buy-and-hold') }),
    z
      .strictObject({
        name: z.literal('sma-cross'),
        fast: period('fast').default(declared('sma-cross', 'fast')),
        slow: period('slow').default(declared('sma-cross', 'slow')),
      })
      .refine((s) => s.fast < s.slow, { message: 'fast must be less than slow', path: ['fast'] }),
    z
      .strictObject({
        name: z.literal('rsi-reversion'),
        period: period('period').default(declared('rsi-reversion', 'period')),
        buyBelow: rsiLevel('buyBelow').default(declared('rsi-reversion', 'buyBelow')),
        sellAbove: rsiLevel('sellAbove').default(declared('rsi-reversion', 'sellAbove')),
      })
      .refine((s) => s.buyBelow < s.sellAbove, { message: 'buyBelow must be less than sellAbove', path: ['buyBelow'] }),
    z.strictObject({
      name: z.literal('breakout'),
      entryPeriod: period('entryPeriod').default(declared('breakout', 'entryPeriod')),
      exitPeriod: period('exitPeriod').default(declared('breakout', 'exitPeriod')),
    }),
  ],
  { error: 'must be one of buy-and-hold, sma-cross, rsi-reversion, breakout' },
);
export type StrategySpec = z.infer<typeof strategySpecSchema>;
export type StrategySpecInput = z.input<typeof strategySpecSchema>;
export type StrategyName = StrategySpec['name'];
export const strategyNames: readonly StrategyName[] = ['buy-and-hold', 'sma-cross', 'rsi-reversion', 'breakout'];

/** The name a run of a built-in goes by: its name and parameter values, `sma-cross(50,200)` (`buy-and-hold` has none). */
export function runName(spec: StrategySpec): string {
  const { name, ...params } = spec;
  const values = Object.values(params);
  return values.length === 0 ? name : `${name}(${values.join(',')})`;
}

/** The name sma-cross(fast, slow) runs under (a grid that decides its crosses itself names runs the same). */
export const smaCrossName = (fast: number, slow: number) => runName({ name: 'sma-cross', fast, slow });

/**
 * A fresh single-symbol instance (its own streaming state) of a built-in strategy, from its file
 * written with @tradeyard/strategy (singleSymbolStrategy); validates the spec first.
 */
export function createStrategy(spec: StrategySpecInput): Strategy {
  const parsed = strategySpecSchema.parse(spec);
  const { name, ...params } = parsed;
  return singleSymbolStrategy(builtinStrategies[name], params, runName(parsed));
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
