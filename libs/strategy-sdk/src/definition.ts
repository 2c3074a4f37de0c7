import { symbolSchema } from '@tradeyard/market-data';
import { z } from 'zod';
import type { StrategyContext } from './context';
import type { DecisionResult } from './decision';
import type { IndicatorCatalog, IndicatorDecls } from './indicators';
import { declarationProblem, isParamSpec, type ParamSpec, type ParamSpecs, type ParamValues } from './params';

export const rebalanceSchedules = ['bar', 'weekly', 'monthly'] as const;
export type Rebalance = (typeof rebalanceSchedules)[number];
/** Bar intervals a strategy can run on (daily for now). */
export const strategyIntervals = ['1d'] as const;
export type StrategyInterval = (typeof strategyIntervals)[number];

/** What a strategy file declares (see the README for each key). */
export interface StrategyConfig<S extends ParamSpecs, I extends IndicatorDecls> {
  /** Its name: 1-64 letters, digits, dot, dash or underscore; the name it is found by. */
  name: string;
  /** One-line description for listings. */
  description?: string;
  params?: S;
  /** The symbols it trades, or 'all' (every symbol of the market: the default). */
  universe?: readonly string[] | 'all';
  interval?: StrategyInterval;
  /** When decide runs: every bar (default), the first bar of each week, or of each month. */
  rebalance?: Rebalance;
  /**
   * Bars a symbol needs before it is ready, or a function of the parameters answering it (a
   * decision that reads an indicator one bar back needs one bar more than the indicator); default:
   * the longest warm-up of the indicators.
   */
  warmup?: number | ((q: ParamValues<S>) => number);
  indicators?: (q: ParamValues<S>, i: IndicatorCatalog) => I;
  decide(ctx: StrategyContext<ParamValues<S>, I>): DecisionResult;
}

const DEFINITION = Symbol.for('tradeyard.strategy.definition');

/** A validated strategy: what defineStrategy returns and a strategy file exports by default. */
export type StrategyDefinition<S extends ParamSpecs = ParamSpecs, I extends IndicatorDecls = IndicatorDecls> = Readonly<
  Required<Pick<StrategyConfig<S, I>, 'name' | 'params' | 'universe' | 'interval' | 'rebalance'>> &
    Pick<StrategyConfig<S, I>, 'description' | 'warmup' | 'indicators' | 'decide'>
>;

/** A definition of any parameters and indicators, as engines and loaders hold them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- decide's context is contravariant in P and I; engines only pass contexts they built from the same definition.
export type AnyStrategyDefinition = StrategyDefinition<any, any>;

/** A strategy that cannot be defined as written: which key and the rule it breaks. */
export class StrategyDefinitionError extends TypeError {
  constructor(
    readonly key: string,
    readonly rule: string,
  ) {
    super(`${key}: ${rule}`);
    this.name = 'StrategyDefinitionError';
  }
}

const fn = () => z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { error: 'must be a function' });

/** A warm-up in bars: what `warmup` declares or its function answers. */
export const warmupSchema = z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').max(100_000, 'must be at most 100000');

const configSchema = z.strictObject({
  name: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, dot, dash or underscore'),
  description: z.string({ error: 'must be a string' }).max(500, 'must be at most 500 characters').optional(),
  params: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'parameter names must be identifiers'), z.custom<ParamSpec>(isParamSpec, { error: 'must be declared with p.int, p.float, p.bool or p.choice' })).default({}),
  universe: z.union([z.literal('all'), z.array(symbolSchema).min(1, 'must list at least one symbol')], { error: "must be 'all' or a list of symbols" }).default('all'),
  interval: z.enum(strategyIntervals, { error: `must be one of ${strategyIntervals.join(', ')}` }).default('1d'),
  rebalance: z.enum(rebalanceSchedules, { error: `must be one of ${rebalanceSchedules.join(', ')}` }).default('bar'),
  warmup: z.union([warmupSchema, fn()], { error: 'must be a number of bars or a function of the parameters answering one' }).optional(),
  indicators: fn().optional(),
  decide: fn(),
});

/** The key of a zod issue as the user wrote it (`params.lookback`, `rebalance`). */
function keyOf(issue: z.core.$ZodIssue): { key: string; rule: string } {
  if (issue.code === 'unrecognized_keys') return { key: issue.keys[0], rule: `is not a key of a strategy (keys: ${Object.keys(configSchema.shape).join(', ')})` };
  const key = issue.path.map(String).join('.') || '(strategy)';
  return { key, rule: issue.message.replace(/^Invalid input: expected .*, received undefined$/, 'is required') };
}

/**
 * Declares a strategy: validates every key (a bad one throws a StrategyDefinitionError naming it
 * and the rule) and returns the definition, frozen, with defaults filled in.
 */
export function defineStrategy<S extends ParamSpecs = Record<never, never>, I extends IndicatorDecls = Record<never, never>>(config: StrategyConfig<S, I>): StrategyDefinition<S, I> {
  const parsed = configSchema.safeParse(config);
  if (!parsed.success) {
    const { key, rule } = keyOf(parsed.error.issues[0]);
    throw new StrategyDefinitionError(key, rule);
  }
  for (const [name, param] of Object.entries(parsed.data.params)) {
    const problem = declarationProblem(param);
    if (problem) throw new StrategyDefinitionError(`params.${name}`, problem);
  }
  return Object.freeze({ ...(parsed.data as unknown as StrategyDefinition<S, I>), [DEFINITION]: true });
}

/** True for what defineStrategy returned (a loader checks a file's default export with it). */
export const isStrategyDefinition = (value: unknown): value is AnyStrategyDefinition => typeof value === 'object' && value !== null && DEFINITION in value;
