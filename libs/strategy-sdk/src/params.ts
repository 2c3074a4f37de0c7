import { z } from 'zod';

/** The value types a parameter can take. */
export type ParamValue = number | boolean | string;

/**
 * One declared parameter: its type, range or choices and default. The same declaration validates
 * a run's parameters (`paramsSchema`) and spans a grid (`gridValues`). Build it with `p`.
 */
export interface ParamSpec<T extends ParamValue = ParamValue> {
  readonly kind: 'int' | 'float' | 'bool' | 'choice';
  readonly default: T;
  /** int and float: the inclusive range. */
  readonly min?: number;
  readonly max?: number;
  /** int and float: the distance between two values of a grid over the range. */
  readonly step?: number;
  /** choice: the values it may take. */
  readonly values?: readonly T[];
}

export type ParamSpecs = Readonly<Record<string, ParamSpec>>;

/** The parameter values a strategy reads: one per declaration, of its type. */
export type ParamValues<S extends ParamSpecs> = { readonly [K in keyof S]: S[K] extends ParamSpec<infer T> ? T : never };

const BRAND = Symbol.for('tradeyard.strategy.param');

const spec = <T extends ParamValue>(fields: Omit<ParamSpec<T>, 'kind'> & { kind: ParamSpec['kind'] }): ParamSpec<T> =>
  Object.freeze({ ...fields, [BRAND]: true }) as ParamSpec<T>;

/** True for a value built by `p`. */
export const isParamSpec = (value: unknown): value is ParamSpec => typeof value === 'object' && value !== null && BRAND in value;

/** Grid steps of a range with no step given: about ten of them. */
const defaultStep = (min: number, max: number, whole: boolean) => (whole ? Math.max(1, Math.round((max - min) / 10)) : (max - min) / 10);

/**
 * Parameter declarations:
 * - `p.int(min, max, default, { step })`: a whole number in [min, max]; a grid steps by `step` (default: a tenth of the range, at least 1).
 * - `p.float(min, max, default, { step })`: a number in [min, max]; a grid steps by `step` (default: a tenth of the range).
 * - `p.bool(default)`: true or false.
 * - `p.choice(values, default)`: one of `values` (default: the first).
 */
export const p = {
  int: (min: number, max: number, defaultValue: number, options: { step?: number } = {}): ParamSpec<number> =>
    spec({ kind: 'int', min, max, default: defaultValue, step: options.step ?? defaultStep(min, max, true) }),
  float: (min: number, max: number, defaultValue: number, options: { step?: number } = {}): ParamSpec<number> =>
    spec({ kind: 'float', min, max, default: defaultValue, step: options.step ?? defaultStep(min, max, false) }),
  bool: (defaultValue = false): ParamSpec<boolean> => spec({ kind: 'bool', default: defaultValue }),
  choice: <const T extends string | number>(values: readonly T[], defaultValue: T = values[0]): ParamSpec<T> => spec({ kind: 'choice', values, default: defaultValue }),
};

/** What is wrong with a declaration, or undefined when it is sound (defineStrategy reports it with the parameter's name). */
export function declarationProblem(param: ParamSpec): string | undefined {
  const { kind, min, max, step, values } = param;
  if (kind === 'bool') return typeof param.default === 'boolean' ? undefined : 'default must be true or false';
  if (kind === 'choice') {
    if (!values || values.length === 0) return 'must list at least one value';
    return values.includes(param.default) ? undefined : `default ${JSON.stringify(param.default)} must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  for (const [what, value] of [['min', min], ['max', max], ['default', param.default], ['step', step]] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value)) return `${what} must be a finite number`;
    if (kind === 'int' && !Number.isInteger(value)) return `${what} must be a whole number`;
  }
  if (min! > max!) return `min ${min} must not be above max ${max}`;
  if ((param.default as number) < min! || (param.default as number) > max!) return `default ${param.default} must be between ${min} and ${max}`;
  if (!(step! > 0)) return 'step must be above 0';
  return undefined;
}

/** The zod schema of one parameter (ParamsError adds its name to the rule). */
function paramSchema(param: ParamSpec): z.ZodType<ParamValue> {
  switch (param.kind) {
    case 'bool':
      return z.boolean({ error: `must be true or false` });
    case 'choice': {
      const values = param.values!;
      const rule = `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
      return z.custom<ParamValue>((v) => values.includes(v as ParamValue), { error: rule });
    }
    default: {
      let schema = z.number({ error: `must be a number` }).finite(`must be finite`);
      if (param.kind === 'int') schema = schema.int(`must be a whole number`);
      return schema.min(param.min!, `must be at least ${param.min}`).max(param.max!, `must be at most ${param.max}`);
    }
  }
}

/** The schema of a run's parameters: each declared one of its type and range, missing ones at their default, no others. */
export function paramsSchema(specs: ParamSpecs) {
  const shape = Object.fromEntries(Object.entries(specs).map(([name, param]) => [name, paramSchema(param).default(param.default)]));
  return z.strictObject(shape);
}

/** A parameter a run was given that breaks its declaration: which one, and the rule. */
export class ParamsError extends RangeError {
  constructor(
    readonly param: string,
    readonly rule: string,
  ) {
    super(`${param}: ${rule}`);
    this.name = 'ParamsError';
  }
}

/** Validates a run's parameters against the declarations; the first bad one throws a ParamsError. */
export function parseParams<S extends ParamSpecs>(specs: S, raw: Readonly<Record<string, unknown>> = {}): ParamValues<S> {
  const parsed = paramsSchema(specs).safeParse(raw);
  if (parsed.success) return Object.freeze(parsed.data) as ParamValues<S>;
  const issue = parsed.error.issues[0];
  if (issue.code === 'unrecognized_keys') throw new ParamsError(issue.keys[0], `is not a parameter of this strategy (it declares ${Object.keys(specs).join(', ') || 'none'})`);
  throw new ParamsError(String(issue.path[0]), issue.message);
}

/** The values a grid over one declared parameter takes: its range by its step (inclusive of min, and of max when a step lands on it), both booleans, or every choice. */
export function gridValues(param: ParamSpec): ParamValue[] {
  if (param.kind === 'bool') return [false, true];
  if (param.kind === 'choice') return [...param.values!];
  const { min, max, step } = param as Required<ParamSpec<number>>;
  const values: number[] = [];
  // Multiples of the step from min, rounded to 12 significant digits so float steps give clean values.
  for (let k = 0; min + k * step <= max + step * 1e-9; k++) values.push(param.kind === 'int' ? min + k * step : Number((min + k * step).toPrecision(12)));
  return values;
}
