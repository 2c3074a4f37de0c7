import type { AnyStrategyDefinition, Rebalance } from './definition';
import { StrategyDefinitionError, warmupSchema } from './definition';
import type { DecisionResult } from './decision';
import { indicatorCatalog, type IndicatorSpec } from './indicators';
import { parseParams, type ParamValue } from './params';

/** A declared indicator as a run uses it: its name in ctx.ind and its computation. */
export interface PlannedIndicator {
  readonly name: string;
  readonly spec: IndicatorSpec;
}

/**
 * A strategy bound to one run's parameters: what an engine (the backtester, the live loop, an
 * arena agent) needs to run it. Built by compileStrategy; the parameters are validated.
 */
export interface CompiledStrategy {
  readonly definition: AnyStrategyDefinition;
  readonly name: string;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** The parameters as indicators and decide see them (for a probe run, a view that records each read). */
  readonly paramsForStrategy: Readonly<Record<string, ParamValue>>;
  readonly rebalance: Rebalance;
  /** The declared universe, or 'all' (the engine's market decides). */
  readonly universe: readonly string[] | 'all';
  readonly indicators: readonly PlannedIndicator[];
  /** Bars a symbol needs before it is ready: the declared `warmup`, else the longest indicator warm-up. */
  readonly warmup: number;
  // The context is built by the engine from this same definition (see AnyStrategyDefinition).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  decide(ctx: any): DecisionResult;
}

export interface CompileOptions {
  /** Collects the names of the parameters the strategy reads (in `indicators` now, in decide as it runs). */
  reads?: Set<string>;
}

/** The parameters as decide and indicators see them: frozen, and, for a probe run, recording each read. */
function paramsView(params: Readonly<Record<string, ParamValue>>, reads: Set<string> | undefined) {
  if (!reads) return params;
  return new Proxy(params, {
    get(target, key, receiver) {
      if (typeof key === 'string' && Object.hasOwn(target, key)) reads.add(key);
      return Reflect.get(target, key, receiver);
    },
  });
}

/** Declares the indicators with the run's parameters, naming the indicator whose arguments are bad. */
function planIndicators(definition: AnyStrategyDefinition, params: Readonly<Record<string, ParamValue>>): PlannedIndicator[] {
  if (!definition.indicators) return [];
  const declared = definition.indicators(params, indicatorCatalog);
  if (typeof declared !== 'object' || declared === null) throw new StrategyDefinitionError('indicators', 'must return an object of indicators, e.g. ({ mom: i.roc("close", 20) })');
  return Object.entries(declared).map(([name, spec]) => {
    if (typeof spec !== 'object' || spec === null || typeof (spec as IndicatorSpec).batch !== 'function') {
      throw new StrategyDefinitionError(`indicators.${name}`, 'must be an indicator of i (i.sma, i.roc, ...)');
    }
    return { name, spec: spec as IndicatorSpec };
  });
}

/** The declared warm-up (a number, or its function of the parameters), else the longest indicator warm-up. */
function warmupOf(definition: AnyStrategyDefinition, params: Readonly<Record<string, ParamValue>>, indicators: readonly PlannedIndicator[]): number {
  const declared = typeof definition.warmup === 'function' ? definition.warmup(params) : definition.warmup;
  if (declared === undefined) return indicators.reduce((most, { spec }) => Math.max(most, spec.warmup), 0);
  const checked = warmupSchema.safeParse(declared);
  if (!checked.success) throw new StrategyDefinitionError('warmup', `${checked.error.issues[0].message}, got ${JSON.stringify(declared)}`);
  return checked.data;
}

/**
 * Binds a definition to a run's parameters: validates them (a ParamsError names the bad one),
 * declares the indicators and derives the warm-up. An indicator whose arguments are bad (a period
 * of 0 from a parameter) throws a StrategyDefinitionError naming it.
 */
export function compileStrategy(definition: AnyStrategyDefinition, rawParams: Readonly<Record<string, unknown>> = {}, options: CompileOptions = {}): CompiledStrategy {
  const params = parseParams(definition.params, rawParams);
  const paramsForStrategy = paramsView(params, options.reads);
  let indicators: PlannedIndicator[];
  try {
    indicators = planIndicators(definition, paramsForStrategy);
  } catch (err) {
    if (err instanceof StrategyDefinitionError || !(err instanceof RangeError)) throw err;
    throw new StrategyDefinitionError('indicators', err.message);
  }
  const warmup = warmupOf(definition, paramsForStrategy, indicators);
  return {
    definition,
    name: definition.name,
    params,
    paramsForStrategy,
    rebalance: definition.rebalance,
    universe: definition.universe,
    indicators,
    warmup,
    decide: (ctx) => definition.decide(ctx),
  };
}
