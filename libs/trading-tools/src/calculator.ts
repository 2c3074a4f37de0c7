import { all, ConstantNode, create, FunctionNode, SymbolNode, type MathNode } from 'mathjs';

/** Longest expression `calculate` accepts. */
export const MAX_EXPRESSION_LENGTH = 1000;
/** Most elements any matrix (a result or a value along the way) may have. */
export const MAX_MATRIX_ELEMENTS = 100_000;
/** Longest string any value may be. */
export const MAX_STRING_LENGTH = 10_000;
/** Largest decimal exponent of a BigNumber, and digits of its precision: big numbers stay small in memory and time. */
export const MAX_BIGNUMBER_EXPONENT = 10_000;
export const BIGNUMBER_PRECISION = 64;

const math = create(all, { precision: BIGNUMBER_PRECISION });
const withTransform = (math.expression as unknown as { mathWithTransform: unknown }).mathWithTransform as Record<string, (...args: unknown[]) => unknown>;

/**
 * The functions an expression may call: arithmetic, statistics, small linear algebra, units,
 * complex numbers and comparisons. An allowlist, since mathjs has functions that re-enter the
 * parser, redefine others or build values of any size (mathjs "Security" docs); anything not
 * named here is refused before evaluation.
 */
const allowedFunctions = new Set([
  // arithmetic
  'add', 'subtract', 'multiply', 'divide', 'pow', 'mod', 'sqrt', 'cbrt', 'nthRoot', 'exp', 'expm1', 'log', 'log10', 'log2', 'log1p',
  'abs', 'sign', 'round', 'floor', 'ceil', 'fix', 'gcd', 'lcm', 'hypot', 'cube', 'square', 'unaryMinus', 'unaryPlus',
  'dotMultiply', 'dotDivide', 'dotPow', 'factorial', 'gamma', 'combinations', 'permutations', 'isPrime', 'isInteger',
  // trigonometry
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'atan2', 'sinh', 'cosh', 'tanh', 'sec', 'csc', 'cot',
  // statistics
  'min', 'max', 'mean', 'median', 'mode', 'std', 'variance', 'sum', 'prod', 'quantileSeq', 'mad', 'cumsum',
  // matrices (sizes checked before they are built, see sizedFunctions)
  'matrix', 'size', 'transpose', 'ctranspose', 'det', 'inv', 'dot', 'cross', 'zeros', 'ones', 'identity', 'resize',
  'concat', 'kron', 'flatten', 'count', 'trace', 'norm', 'diag',
  // numbers, units, complex
  'number', 'bignumber', 'unit', 'to', 'complex', 're', 'im', 'conj', 'arg',
  // comparison and logic
  'equal', 'unequal', 'smaller', 'smallerEq', 'larger', 'largerEq', 'compare', 'and', 'or', 'not', 'xor',
]);
// Operators are functions too (`2 ^ 3` calls pow): the same allowlist applies to them. Ranges are
// written a:b (a RangeNode, size-checked below), not range(), whose string form cannot be checked.
const allowedConstants = new Set(['pi', 'e', 'tau', 'phi', 'i', 'Infinity', 'NaN', 'true', 'false', 'null', 'LN2', 'LN10', 'LOG2E', 'LOG10E', 'SQRT1_2', 'SQRT2']);
/** Functions whose numeric arguments are the size of the matrix they build: checked before it is built. */
const sizedFunctions = new Set(['zeros', 'ones', 'identity', 'resize']);
const allowedNodes = new Set([
  'AccessorNode', 'ArrayNode', 'AssignmentNode', 'BlockNode', 'ConditionalNode', 'ConstantNode', 'FunctionNode', 'IndexNode',
  'OperatorNode', 'ParenthesisNode', 'RangeNode', 'RelationalNode', 'SymbolNode',
]);

// Names of the helpers the evaluation adds to the scope; users cannot name them (no leading "__" allowed).
const CHECKED = '__checked';
const SIZED = '__sized';
const RANGE_END = '__rangeEnd';

export interface Calculation {
  expression: string;
  /** The result as mathjs formats it (numbers, units, matrices, complex). */
  result: string;
  /** The result as a number when it is a finite real number. */
  value?: number;
}

export class CalculationError extends Error {}

const toNumber = (value: unknown): number => {
  if (typeof value === 'number') return value;
  if (math.isBigNumber(value)) return value.toNumber();
  throw new CalculationError('matrix sizes must be numbers');
};

function checkMatrixSize(elements: number, what: string): void {
  if (!(elements <= MAX_MATRIX_ELEMENTS)) {
    throw new CalculationError(`matrix size limit: ${what} would have ${elements} elements, more than ${MAX_MATRIX_ELEMENTS}`);
  }
}

/** Throws when a value breaks the matrix, string or big-number limit; returns it otherwise. */
function checkLimits(value: unknown): unknown {
  if (typeof value === 'string' && value.length > MAX_STRING_LENGTH) {
    throw new CalculationError(`string length limit: a string of ${value.length} characters is longer than ${MAX_STRING_LENGTH}`);
  }
  if (math.isBigNumber(value) && value.isFinite() && Math.abs(value.e) > MAX_BIGNUMBER_EXPONENT) {
    throw new CalculationError(`big number size limit: exponent ${value.e} is beyond ±${MAX_BIGNUMBER_EXPONENT}`);
  }
  if (math.isMatrix(value) || Array.isArray(value)) {
    const size = (math.size(value as never) as unknown as { valueOf(): number[] }).valueOf();
    checkMatrixSize(size.reduce((a, b) => a * b, 1), 'a matrix');
    math.forEach(value as never, (element: unknown) => void checkLimits(element));
  }
  return value;
}

/** Why a value is not a finite result, or undefined when it is. */
function nonFinite(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : String(value);
  if (math.isBigNumber(value)) return value.isFinite() ? undefined : value.toString();
  if (math.isComplex(value)) return nonFinite(value.re) ?? nonFinite(value.im);
  if (math.isUnit(value)) return value.value === null ? undefined : nonFinite(value.value);
  if (math.isMatrix(value) || Array.isArray(value)) {
    let found: string | undefined;
    math.forEach(value as never, (element: unknown) => void (found ??= nonFinite(element)));
    return found;
  }
  return undefined;
}

/** Refuses anything outside the allowlist: node types, functions, operators, symbols, property access. */
function checkAllowed(root: MathNode): void {
  const assigned = new Set<string>();
  root.traverse((node) => {
    if (node.type === 'AssignmentNode') {
      const target = node as unknown as { object: MathNode; index: MathNode | null; name: string };
      if (target.object.type !== 'SymbolNode' || target.index) throw new CalculationError('only plain variables can be assigned (no a[i] = ... or a.b = ...)');
      assigned.add(target.name);
    }
  });
  root.traverse((node, path, parent) => {
    if (node.type === 'FunctionAssignmentNode') throw new CalculationError('defining functions is not allowed');
    if (!allowedNodes.has(node.type)) throw new CalculationError(`${node.type} is not allowed`);
    if (node.type === 'IndexNode' && (node as unknown as { dotNotation: boolean }).dotNotation) throw new CalculationError('property access (a.b) is not allowed');
    if (node.type === 'OperatorNode' && !allowedFunctions.has((node as unknown as { fn: string }).fn)) {
      throw new CalculationError(`operator ${(node as unknown as { op: string }).op} is not allowed`);
    }
    if (node.type === 'FunctionNode') {
      const fn = (node as FunctionNode).fn;
      if (fn.type !== 'SymbolNode') throw new CalculationError('only named functions can be called');
      const name = (fn as SymbolNode).name;
      if (!allowedFunctions.has(name)) throw new CalculationError(`function ${name} is not allowed`);
    }
    if (node.type === 'SymbolNode' && !(parent?.type === 'FunctionNode' && path === 'fn')) {
      const name = (node as SymbolNode).name;
      if (name.startsWith('__')) throw new CalculationError(`symbol ${name} is not allowed`);
      if (!assigned.has(name) && !allowedConstants.has(name) && !math.Unit.isValuelessUnit(name) && name !== 'end') {
        // A function named without its argument list (`cos`) is a symbol to mathjs: say what it is.
        if (allowedFunctions.has(name)) throw new CalculationError(`${name} is a function: call it with its arguments, e.g. ${name}(x)`);
        throw new CalculationError(`Undefined symbol ${name}: not a number, constant, unit or variable assigned earlier in the expression`);
      }
    }
    if (node.type === 'ConstantNode') checkLimits((node as ConstantNode).value);
  });
}

/** Wraps every call in a limit check and checks sizes before matrices are built. */
function instrument(root: MathNode): MathNode {
  return root.transform((node) => {
    if (node.type === 'RangeNode') {
      const range = node as unknown as { start: MathNode; end: MathNode; step: MathNode | null };
      const [start, step] = [instrument(range.start), range.step && instrument(range.step)];
      const end = new FunctionNode(RANGE_END, [start, instrument(range.end), step ?? new ConstantNode(1)]);
      return new (math.RangeNode as unknown as new (...args: unknown[]) => MathNode)(start, end, step);
    }
    if (node.type === 'FunctionNode') {
      const call = node as FunctionNode;
      const args = call.args.map(instrument);
      const name = call.fn.name;
      const inner = sizedFunctions.has(name) ? new FunctionNode(SIZED, [new ConstantNode(name), ...args]) : new FunctionNode(name, args);
      return new FunctionNode(CHECKED, [inner]);
    }
    if (node.type === 'OperatorNode') {
      const op = node as unknown as { op: string; fn: string; args: MathNode[]; implicit: boolean };
      const rebuilt = new math.OperatorNode(op.op as never, op.fn as never, op.args.map(instrument), op.implicit);
      return new FunctionNode(CHECKED, [rebuilt]);
    }
    return node;
  });
}

function sized(name: string, ...args: unknown[]): unknown {
  // resize(x, size[, default]): the size is the second argument; the others take sizes only.
  const sizeArgs = name === 'resize' ? [args[1]] : args.filter((a) => typeof a !== 'string');
  const dims = sizeArgs.flatMap((a) => (math.isMatrix(a) || Array.isArray(a) ? (math.flatten(a as never) as unknown as { valueOf(): unknown[] }).valueOf() : [a])).map(toNumber);
  const elements = name === 'identity' && dims.length === 1 ? dims[0] * dims[0] : dims.reduce((a, b) => a * b, 1);
  checkMatrixSize(elements, `${name}(${dims.join(', ')})`);
  return withTransform[name](...args);
}

function rangeEnd(start: unknown, end: unknown, step: unknown): unknown {
  const count = Math.floor((toNumber(end) - toNumber(start)) / toNumber(step)) + 1;
  checkMatrixSize(Number.isFinite(count) ? count : Infinity, `range ${String(start)}:${String(end)}`);
  return end;
}

/**
 * Evaluates an arithmetic expression with mathjs (never eval): the allowlist above, a fresh
 * scope, limits on matrix, string and big-number sizes, and non-finite results refused.
 * Time and memory are bounded by the caller (CalculatorPool runs this in a worker thread).
 */
export function calculate(expression: string): Calculation {
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new CalculationError(`expression length limit: must be at most ${MAX_EXPRESSION_LENGTH} characters`);
  }
  let node: MathNode;
  try {
    node = math.parse(expression);
  } catch (err) {
    throw new CalculationError(`cannot parse expression: ${(err as Error).message}`);
  }
  checkAllowed(node);
  const scope = new Map<string, unknown>([
    [CHECKED, checkLimits],
    [SIZED, sized],
    [RANGE_END, rangeEnd],
  ]);
  let value: unknown;
  try {
    value = instrument(node).compile().evaluate(scope);
  } catch (err) {
    if (err instanceof CalculationError) throw err;
    throw new CalculationError(`cannot evaluate expression: ${(err as Error).message}`);
  }
  if (value === undefined || typeof value === 'function') throw new CalculationError('expression has no value');
  // A block (a = 2; a * 3) evaluates to a ResultSet; its last value is the answer.
  const notFinite = nonFinite(math.isResultSet(value) ? (value as { entries: unknown[] }).entries.at(-1) : value);
  if (notFinite !== undefined) throw new CalculationError(`result is not a finite number (${notFinite}): e.g. an overflow past 1.8e308 or a division by zero`);
  const result = checkLimits(math.format(value, { precision: 14 })) as string;
  const calculation: Calculation = { expression, result };
  if (typeof value === 'number') calculation.value = value;
  return calculation;
}
