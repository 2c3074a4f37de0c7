import { expandStrategyGrid, walkForwardSchema } from '@tradeyard/backtest';
import { describeIssues } from '@tradeyard/strategies';
import { compileStrategy, gridValues, ParamsError, StrategyDefinitionError, type AnyStrategyDefinition, type ParamSpec, type ParamValue } from '@tradeyard/strategy';
import { expandDeclared } from '@tradeyard/portfolio-backtest';
import type { z } from 'zod';

/** A bad command-line argument: exit 2 with a line naming it and the usage. */
export class UsageError extends Error {}

export const kebab = (field: string) => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
export const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export const numberArg = (flag: string, text: string) => {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag}: must be a number, got "${text}"`);
  return n;
};

/** Validates with a zod schema, naming the command-line flag of the first bad field. */
export function parseFlags<T extends z.ZodType>(schema: T, raw: Record<string, unknown>, fallbackFlag: string): z.output<T> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const first = describeIssues(parsed.error)[0];
  throw new UsageError(`--${first.field === '(body)' ? fallbackFlag : kebab(first.field)}: ${first.rule}`);
}

const WALK_OPTIONS = ['train-bars', 'test-bars', 'step-bars', 'metric'] as const;
export const walkOptions = WALK_OPTIONS;

/** The walk-forward windows when --train-bars or --test-bars is given, naming the flag of a bad one. */
export function parseWalk(str: (k: string) => string | undefined) {
  if (str('train-bars') === undefined && str('test-bars') === undefined) {
    const stray = WALK_OPTIONS.find((flag) => str(flag) !== undefined);
    if (stray) throw new UsageError(`--${stray}: only with --train-bars and --test-bars (a walk-forward)`);
    return undefined;
  }
  const raw: Record<string, unknown> = {};
  for (const flag of WALK_OPTIONS) {
    const value = str(flag);
    if (value !== undefined) raw[camel(flag)] = flag === 'metric' ? value : numberArg(flag, value);
  }
  return parseFlags(walkForwardSchema, raw, 'train-bars');
}

/** The flag of each declared parameter (kebab-case), unless the command already has an option of that name. */
export function paramFlags(definition: AnyStrategyDefinition, taken: readonly string[]): Map<string, string> {
  return new Map(Object.keys(definition.params).flatMap((name) => (taken.includes(kebab(name)) ? [] : [[kebab(name), name]])));
}

/** One command-line value of a declared parameter, as its type. */
function paramValue(flag: string, spec: ParamSpec, text: string): ParamValue {
  if (spec.kind === 'bool') {
    if (text === 'true' || text === 'false') return text === 'true';
    throw new UsageError(`--${flag}: must be true or false, got "${text}"`);
  }
  if (spec.kind === 'choice') return gridValues(spec).find((v) => String(v) === text) ?? text;
  return numberArg(flag, text);
}

/**
 * A strategy's parameters from the command line: --params (a JSON object; a list sweeps), each
 * declared parameter's own flag (a comma list sweeps), and --grid (names, or `all`, swept over
 * their declared ranges). Later sources win. `flagOf` names the flag each parameter came from.
 */
export function parseStrategyParams(definition: AnyStrategyDefinition, flags: Map<string, string>, str: (k: string) => string | undefined) {
  const params: Record<string, unknown> = {};
  const flagOf = new Map<string, string>();
  const json = str('params');
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (err) {
      throw new UsageError(`--params: is not JSON: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError('--params: must be a JSON object of parameter values, e.g. {"lookback":90}');
    Object.assign(params, parsed);
  }
  for (const [flag, name] of flags) {
    const text = str(flag);
    if (text === undefined) continue;
    const values = text.split(',').map((v) => paramValue(flag, definition.params[name], v));
    params[name] = values.length > 1 ? values : values[0];
    flagOf.set(name, flag);
  }
  const grid = str('grid');
  if (grid !== undefined) {
    const names = grid === 'all' ? Object.keys(definition.params) : grid.split(',');
    for (const name of names) {
      if (!definition.params[name]) throw new UsageError(`--grid: ${name} is not a parameter of ${definition.name} (it declares ${Object.keys(definition.params).join(', ') || 'none'})`);
      params[name] = '*';
      flagOf.set(name, 'grid');
    }
  }
  return { params, flagOf };
}

/** Checks that some combination of the parameters can run, naming the flag (or --params) of the first bad one otherwise. */
export function checkStrategyParams(definition: AnyStrategyDefinition, params: Record<string, unknown>, flagOf: ReadonlyMap<string, string>): void {
  let first: Error | undefined;
  try {
    for (const combination of expandStrategyGrid(expandDeclared(definition, params))) {
      try {
        compileStrategy(definition, combination);
        return;
      } catch (err) {
        if (!(err instanceof ParamsError || err instanceof StrategyDefinitionError)) throw err;
        first ??= err;
      }
    }
  } catch (err) {
    if (!(err instanceof ParamsError)) throw err;
    first = err;
  }
  const flag = first instanceof ParamsError ? flagOf.get(first.param) : undefined;
  throw new UsageError(flag ? `--${flag}: ${(first as ParamsError).rule}` : `--params: ${first!.message}`);
}
