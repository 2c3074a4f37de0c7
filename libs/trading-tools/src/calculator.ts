import { all, create, type MathNode } from 'mathjs';

/** Longest expression `calculate` accepts; bounds parse time and literal matrix sizes. */
export const MAX_EXPRESSION_LENGTH = 1000;

const math = create(all);
// Keep the parser before the lockdown below replaces it for expressions.
const parse = math.parse;

const disabled = (name: string) => () => {
  throw new Error(`function ${name} is disabled`);
};
// mathjs "Security" docs: untrusted expressions must not reach import/createUnit/evaluate/parse and
// friends (they can redefine functions or re-enter the parser). The matrix builders go too, since
// ones(1e5, 1e5) or 1:1e9 would exhaust memory.
const lockedDown = [
  'import', 'createUnit', 'reviver', 'evaluate', 'parse', 'compile', 'simplify', 'simplifyConstant', 'simplifyCore',
  'derivative', 'resolve', 'rationalize', 'range', 'ones', 'zeros', 'identity', 'random', 'randomInt', 'pickRandom',
];
math.import(Object.fromEntries(lockedDown.map((name) => [name, disabled(name)])), { override: true });

export interface Calculation {
  expression: string;
  /** The result as mathjs formats it (numbers, units, matrices, complex). */
  result: string;
  /** The result as a number when it is a finite real number. */
  value?: number;
}

export class CalculationError extends Error {}

/** Evaluates an arithmetic expression with mathjs in a locked-down instance and a fresh scope (never eval). */
export function calculate(expression: string): Calculation {
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new CalculationError(`expression must be at most ${MAX_EXPRESSION_LENGTH} characters`);
  }
  let node: MathNode;
  try {
    node = parse(expression);
  } catch (err) {
    throw new CalculationError(`cannot parse expression: ${(err as Error).message}`);
  }
  node.traverse((n) => {
    // A user-defined function can recurse without bound; plain arithmetic never needs one.
    if (n.type === 'FunctionAssignmentNode') throw new CalculationError('defining functions is not allowed');
  });
  let value: unknown;
  try {
    value = node.compile().evaluate(new Map());
  } catch (err) {
    throw new CalculationError(`cannot evaluate expression: ${(err as Error).message}`);
  }
  if (value === undefined || typeof value === 'function') throw new CalculationError('expression has no value');
  const calculation: Calculation = { expression, result: math.format(value, { precision: 14 }) };
  if (typeof value === 'number' && Number.isFinite(value)) calculation.value = value;
  return calculation;
}
