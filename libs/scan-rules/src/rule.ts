import { Atr, Bollinger, Ema, Highest, Lowest, Macd, Rsi, Sma, Vwap } from '@tradeyard/indicators';

/*
 * The scan-rule language is the project's own (no library parses it), so it has a hand-written
 * tokenizer and recursive-descent parser. A rule compiles to a tree of closures over streaming
 * indicator instances: evaluating a bar is one call per node, O(1), no allocation. Numbers use NaN
 * for "not yet defined"; conditions are 1 (true), 0 (false) or NaN (unknown, e.g. during warm-up).
 */

export interface RuleBar {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export class RuleSyntaxError extends Error {
  constructor(
    readonly column: number,
    readonly expected: string,
  ) {
    super(`column ${column}: ${expected}`);
    this.name = 'RuleSyntaxError';
  }
}

type Kind = 'number' | 'condition';
type Evaluate = (bar: RuleBar) => number;
/** Builds a fresh evaluator (with its own indicator state) for one symbol. */
interface Node {
  kind: Kind;
  text: string;
  build(values: NamedValue[]): Evaluate;
}
interface NamedValue {
  name: string;
  current: number;
}

interface Token {
  type: 'number' | 'name' | 'op' | 'end';
  text: string;
  column: number;
}

const operators = ['<=', '>=', '==', '!=', '<', '>', '+', '-', '*', '/', '(', ')', ',', '[', ']'];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (ch === ' ' || ch === '\t') {
      i++;
      continue;
    }
    const column = i + 1;
    const number = /^(\d+(\.\d*)?|\.\d+)/.exec(source.slice(i));
    if (number) {
      tokens.push({ type: 'number', text: number[0], column });
      i += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
    if (name) {
      tokens.push({ type: 'name', text: name[0].toLowerCase(), column });
      i += name[0].length;
      continue;
    }
    const op = operators.find((o) => source.startsWith(o, i));
    if (!op) throw new RuleSyntaxError(column, `unexpected character '${ch}'`);
    tokens.push({ type: 'op', text: op, column });
    i += op.length;
  }
  tokens.push({ type: 'end', text: 'end of rule', column: source.length + 1 });
  return tokens;
}

/*
 * Names a rule uses are looked up in Maps, never as properties of plain objects: a rule is data,
 * so '__proto__', 'constructor' or 'tostring' must be unknown names, not inherited members.
 */
const fields = new Map<string, (bar: RuleBar) => number>([
  ['open', (b) => b.open],
  ['high', (b) => b.high],
  ['low', (b) => b.low],
  ['close', (b) => b.close],
  ['volume', (b) => b.volume],
]);
const close = (b: RuleBar) => b.close;

/** Largest indicator period: windowed indicators hold `period` values per symbol. */
export const MAX_PERIOD = 1000;
/** Largest bars-ago offset: `expr[n]` holds n + 1 values per symbol. */
export const MAX_BARS_AGO = 1000;
/** Most bars of state one rule may hold per symbol: the sum of its periods and bars-ago offsets. */
export const MAX_RULE_STATE_BARS = 5000;

const num = (v: number | undefined) => (v === undefined ? NaN : v);

/** A streaming indicator fed by one numeric argument; `read` picks the output after each update. */
interface Param {
  name: string;
  default?: number;
  /** A window length: a whole number from 1 to MAX_PERIOD, counted in the rule's state. */
  period?: true;
}
interface SeriesIndicator {
  params: Param[];
  create(p: number[]): { update(v: number): number | undefined; read?: () => number | undefined };
}
const seriesIndicators = new Map<string, SeriesIndicator>([
  ['sma', { params: [{ name: 'period', period: true }], create: ([n]) => new Sma(n) }],
  ['ema', { params: [{ name: 'period', period: true }], create: ([n]) => new Ema(n) }],
  ['rsi', { params: [{ name: 'period', default: 14, period: true }], create: ([n]) => new Rsi(n) }],
  ['highest', { params: [{ name: 'period', period: true }], create: ([n]) => new Highest(n) }],
  ['lowest', { params: [{ name: 'period', period: true }], create: ([n]) => new Lowest(n) }],
  ['macd', macdPart((m) => m.line)],
  ['macd_signal', macdPart((m) => m.signal)],
  ['macd_hist', macdPart((m) => m.histogram)],
  ['bb_upper', bollingerPart((b) => b.upper)],
  ['bb_middle', bollingerPart((b) => b.middle)],
  ['bb_lower', bollingerPart((b) => b.lower)],
]);
function macdPart(read: (m: Macd) => number | undefined): SeriesIndicator {
  return {
    params: [
      { name: 'fast', default: 12, period: true },
      { name: 'slow', default: 26, period: true },
      { name: 'signal', default: 9, period: true },
    ],
    create: ([f, s, g]) => {
      const m = new Macd(f, s, g);
      return { update: (v) => m.update(v), read: () => read(m) };
    },
  };
}
function bollingerPart(read: (b: Bollinger) => number | undefined): SeriesIndicator {
  return {
    params: [
      { name: 'period', default: 20, period: true },
      { name: 'multiplier', default: 2 },
    ],
    create: ([n, k]) => {
      const b = new Bollinger(n, k);
      return { update: (v) => b.update(v), read: () => read(b) };
    },
  };
}
/** Indicators of the whole bar rather than of one series. */
const barIndicators = new Map<string, { params: Param[]; create(p: number[]): (bar: RuleBar) => number }>([
  [
    'atr',
    {
      params: [{ name: 'period', default: 14, period: true }],
      create: ([n]) => {
        const atr = new Atr(n);
        return (b) => num(atr.update(b.high, b.low, b.close));
      },
    },
  ],
  [
    'vwap',
    {
      params: [],
      create: () => {
        const vwap = new Vwap();
        return (b) => num(vwap.update(b.high, b.low, b.close, b.volume));
      },
    },
  ],
]);

class Parser {
  private pos = 0;
  /** Bars of state the rule holds per symbol so far (periods and bars-ago offsets). */
  private stateBars = 0;
  constructor(private readonly tokens: Token[]) {}

  private get peek() {
    return this.tokens[this.pos];
  }
  private take() {
    return this.tokens[this.pos++];
  }
  private accept(text: string): boolean {
    const t = this.peek;
    if ((t.type === 'op' || t.type === 'name') && t.text === text) {
      this.pos++;
      return true;
    }
    return false;
  }
  private expect(text: string, what: string) {
    if (!this.accept(text)) throw new RuleSyntaxError(this.peek.column, `expected '${text}' ${what}, found ${describe(this.peek)}`);
  }

  parseRule(): Node {
    const node = this.or();
    if (this.peek.type !== 'end') throw new RuleSyntaxError(this.peek.column, `expected an operator or end of rule, found ${describe(this.peek)}`);
    if (node.kind !== 'condition') throw new RuleSyntaxError(1, 'expected a condition (a comparison such as rsi(14) < 30), found a number');
    if (this.stateBars > MAX_RULE_STATE_BARS)
      throw new RuleSyntaxError(1, `the rule keeps ${this.stateBars} bars of state per symbol (the sum of its periods and bars-ago offsets); at most ${MAX_RULE_STATE_BARS}`);
    return node;
  }

  private or(): Node {
    let left = this.and();
    while (this.peek.text === 'or' && this.peek.type === 'name') {
      const column = this.take().column;
      left = logical('or', left, this.and(), column);
    }
    return left;
  }
  private and(): Node {
    let left = this.not();
    while (this.peek.text === 'and' && this.peek.type === 'name') {
      const column = this.take().column;
      left = logical('and', left, this.not(), column);
    }
    return left;
  }
  private not(): Node {
    if (this.peek.type === 'name' && this.peek.text === 'not') {
      const column = this.take().column;
      const operand = this.not();
      requireKind(operand, 'condition', column, 'not');
      return {
        kind: 'condition',
        text: `not ${operand.text}`,
        build: (v) => {
          const e = operand.build(v);
          return (b) => 1 - e(b);
        },
      };
    }
    return this.comparison();
  }
  private comparison(): Node {
    const left = this.additive();
    const op = this.peek;
    const compare = op.type === 'op' ? comparators.get(op.text) : undefined;
    if (compare) {
      this.take();
      const right = this.additive();
      requireKind(left, 'number', op.column, `'${op.text}'`);
      requireKind(right, 'number', op.column, `'${op.text}'`);
      return {
        kind: 'condition',
        text: `${left.text} ${op.text} ${right.text}`,
        build: (v) => {
          const l = left.build(v);
          const r = right.build(v);
          return (b) => {
            const x = l(b);
            const y = r(b);
            return x !== x || y !== y ? NaN : compare(x, y) ? 1 : 0;
          };
        },
      };
    }
    return left;
  }
  private additive(): Node {
    let left = this.multiplicative();
    while (this.peek.type === 'op' && (this.peek.text === '+' || this.peek.text === '-')) {
      const op = this.take();
      left = arithmetic(op, left, this.multiplicative());
    }
    return left;
  }
  private multiplicative(): Node {
    let left = this.unary();
    while (this.peek.type === 'op' && (this.peek.text === '*' || this.peek.text === '/')) {
      const op = this.take();
      left = arithmetic(op, left, this.unary());
    }
    return left;
  }
  private unary(): Node {
    if (this.peek.type === 'op' && this.peek.text === '-') {
      const op = this.take();
      const operand = this.unary();
      requireKind(operand, 'number', op.column, `'-'`);
      return {
        kind: 'number',
        text: `-${operand.text}`,
        build: (v) => {
          const e = operand.build(v);
          return (b) => -e(b);
        },
      };
    }
    return this.postfix();
  }
  /** `expr[n]`: the value of expr n bars ago. */
  private postfix(): Node {
    let node = this.primary();
    while (this.peek.type === 'op' && this.peek.text === '[') {
      const open = this.take();
      const barsAgo = this.bounded(0, MAX_BARS_AGO, 'a whole number of bars ago inside [ ]', `a bars-ago offset from 0 to ${MAX_BARS_AGO}`);
      this.expect(']', `after the bars-ago offset opened at column ${open.column}`);
      requireKind(node, 'number', open.column, '[ ]');
      // Named, so a signal reports the value it compared against (e.g. highest(high, 20)[1]).
      node = named(`${node.text}[${barsAgo}]`, delayed(node, barsAgo).build);
    }
    return node;
  }
  private primary(): Node {
    const t = this.peek;
    if (t.type === 'number') {
      this.take();
      const value = Number(t.text);
      return { kind: 'number', text: t.text, build: () => () => value };
    }
    if (t.type === 'op' && t.text === '(') {
      this.take();
      const inner = this.or();
      this.expect(')', `to close the '(' at column ${t.column}`);
      return inner;
    }
    if (t.type === 'name') {
      this.take();
      const field = fields.get(t.text);
      if (field) return { kind: 'number', text: t.text, build: () => field };
      if (this.peek.type !== 'op' || this.peek.text !== '(')
        throw new RuleSyntaxError(t.column, `unknown name '${t.text}': expected open, high, low, close, volume or a function call`);
      return this.call(t);
    }
    throw new RuleSyntaxError(t.column, `expected a number, a bar field or a function call, found ${describe(t)}`);
  }
  /** A whole number within [min, max], added to the rule's state bars; `what` when it is not a number, `range` when out of bounds. */
  private bounded(min: number, max: number, what: string, range: string): number {
    const t = this.peek;
    if (t.type !== 'number') throw new RuleSyntaxError(t.column, `expected ${what}, found ${describe(t)}`);
    const value = Number(t.text);
    if (!/^\d+$/.test(t.text) || value < min || value > max) throw new RuleSyntaxError(t.column, `expected ${range}, found ${describe(t)}`);
    this.take();
    this.stateBars += value;
    return value;
  }
  private constant(fn: string, param: Param): number {
    if (param.period) return this.bounded(1, MAX_PERIOD, `a number for ${param.name} of ${fn}`, `the ${param.name} of ${fn} as a whole number from 1 to ${MAX_PERIOD}`);
    const t = this.peek;
    if (t.type !== 'number') throw new RuleSyntaxError(t.column, `expected a number for ${param.name} of ${fn}, found ${describe(t)}`);
    this.take();
    return Number(t.text);
  }
  private call(name: Token): Node {
    const fn = name.text;
    this.take(); // '('
    const closeArgs = () => this.expect(')', `after arguments of ${fn}`);
    if (fn === 'cross_above' || fn === 'cross_below') {
      const a = this.additive();
      this.expect(',', `between the two arguments of ${fn}`);
      const b = this.additive();
      closeArgs();
      requireKind(a, 'number', name.column, fn);
      requireKind(b, 'number', name.column, fn);
      return crossing(fn, a, b);
    }
    const series = seriesIndicators.get(fn);
    const whole = barIndicators.get(fn);
    const indicator = series ?? whole;
    if (!indicator) throw new RuleSyntaxError(name.column, `unknown function '${fn}'`);
    // A series indicator's first argument is the series (default close), then its constant parameters.
    let source: Node = { kind: 'number', text: 'close', build: () => close };
    const params = indicator.params;
    const values: number[] = [];
    const next = this.tokens[this.pos + 1];
    const startsWithParameter =
      (this.peek.type === 'number' && next.type === 'op' && (next.text === ',' || next.text === ')')) ||
      (this.peek.type === 'op' && this.peek.text === ')');
    if (series && !startsWithParameter) {
      source = this.additive();
      requireKind(source, 'number', name.column, fn);
      if (!this.accept(',')) {
        if (params[0].default === undefined) throw new RuleSyntaxError(this.peek.column, `expected ',' and the ${params[0].name} of ${fn}, found ${describe(this.peek)}`);
      }
    }
    for (const param of params) {
      if (this.peek.type === 'op' && this.peek.text === ')') {
        if (param.default === undefined) throw new RuleSyntaxError(this.peek.column, `expected the ${param.name} of ${fn}, found ')'`);
        if (param.period) this.stateBars += param.default;
        values.push(param.default);
        continue;
      }
      if (values.length > 0) this.expect(',', `after arguments of ${fn}`);
      values.push(this.constant(fn, param));
    }
    closeArgs();
    try {
      indicator.create(values);
    } catch (error) {
      throw new RuleSyntaxError(name.column, `bad arguments of ${fn}: ${(error as Error).message}`);
    }
    const text = `${fn}(${series && source.text !== 'close' ? `${source.text}, ` : ''}${values.join(', ')})`;
    if (!series) return named(text, () => indicator.create(values) as Evaluate);
    return named(text, (v) => {
      const feed = source.build(v);
      const instance = series.create(values);
      const read = instance.read;
      return read
        ? (b) => {
            const x = feed(b);
            if (x === x) instance.update(x);
            return num(read());
          }
        : (b) => {
            const x = feed(b);
            // An undefined input (the source still warming up) is skipped, not fed as a value.
            return x === x ? num(instance.update(x)) : num((instance as { value?: number }).value);
          };
    });
  }
}

function describe(t: Token) {
  return t.type === 'end' ? 'end of rule' : `'${t.text}'`;
}

function requireKind(node: Node, kind: Kind, column: number, where: string) {
  if (node.kind !== kind)
    throw new RuleSyntaxError(column, `expected ${kind === 'number' ? 'a number' : 'a condition'} for ${where}, found ${node.kind === 'number' ? 'a number' : 'a condition'} '${node.text}'`);
}

const comparators = new Map<string, (x: number, y: number) => boolean>([
  ['<', (x, y) => x < y],
  ['<=', (x, y) => x <= y],
  ['>', (x, y) => x > y],
  ['>=', (x, y) => x >= y],
  ['==', (x, y) => x === y],
  ['!=', (x, y) => x !== y],
]);

function logical(op: 'and' | 'or', left: Node, right: Node, column: number): Node {
  requireKind(left, 'condition', column, op);
  requireKind(right, 'condition', column, op);
  return {
    kind: 'condition',
    text: `${left.text} ${op} ${right.text}`,
    build: (v) => {
      const l = left.build(v);
      const r = right.build(v);
      // Both sides are evaluated every bar (no short-circuit) so every indicator sees every bar.
      return op === 'and'
        ? (b) => {
            const x = l(b);
            const y = r(b);
            return x === 0 || y === 0 ? 0 : x !== x || y !== y ? NaN : 1;
          }
        : (b) => {
            const x = l(b);
            const y = r(b);
            return x === 1 || y === 1 ? 1 : x !== x || y !== y ? NaN : 0;
          };
    },
  };
}

function arithmetic(op: Token, left: Node, right: Node): Node {
  requireKind(left, 'number', op.column, `'${op.text}'`);
  requireKind(right, 'number', op.column, `'${op.text}'`);
  return {
    kind: 'number',
    text: `${left.text} ${op.text} ${right.text}`,
    build: (v) => {
      const l = left.build(v);
      const r = right.build(v);
      switch (op.text) {
        case '+':
          return (b) => l(b) + r(b);
        case '-':
          return (b) => l(b) - r(b);
        case '*':
          return (b) => l(b) * r(b);
        default:
          return (b) => l(b) / r(b);
      }
    },
  };
}

/** Records the node's value each bar in a ring buffer and returns the one `barsAgo` bars back. */
function delayed(node: Node, barsAgo: number): Node {
  return {
    kind: 'number',
    text: `${node.text}[${barsAgo}]`,
    build: (v) => {
      const e = node.build(v);
      const ring = new Float64Array(barsAgo + 1).fill(NaN);
      let index = 0;
      return (b) => {
        ring[index] = e(b);
        index = index === barsAgo ? 0 : index + 1;
        return ring[index];
      };
    },
  };
}

function crossing(fn: 'cross_above' | 'cross_below', a: Node, b: Node): Node {
  const above = fn === 'cross_above';
  return {
    kind: 'condition',
    text: `${fn}(${a.text}, ${b.text})`,
    build: (v) => {
      const ea = a.build(v);
      const eb = b.build(v);
      let previousA = NaN;
      let previousB = NaN;
      return (bar) => {
        const x = ea(bar);
        const y = eb(bar);
        const pa = previousA;
        const pb = previousB;
        previousA = x;
        previousB = y;
        if (x !== x || y !== y || pa !== pa || pb !== pb) return NaN;
        return above ? (x > y && pa <= pb ? 1 : 0) : x < y && pa >= pb ? 1 : 0;
      };
    },
  };
}

/** Wraps an indicator call so its latest value is reported with the signal (keyed by its text). */
function named(text: string, build: (v: NamedValue[]) => Evaluate): Node {
  return {
    kind: 'number',
    text,
    build: (values) => {
      const e = build(values);
      const slot: NamedValue = { name: text, current: NaN };
      values.push(slot);
      return (b) => (slot.current = e(b));
    },
  };
}

/** One rule's state for one symbol. */
export class RuleState {
  private previous = false;
  constructor(
    private readonly evaluate: Evaluate,
    private readonly values: NamedValue[],
  ) {}

  /** Feeds one bar; true on the bar where the rule becomes true (false or undefined before). */
  update(bar: RuleBar): boolean {
    const now = this.evaluate(bar) === 1;
    const fired = now && !this.previous;
    this.previous = now;
    return fired;
  }

  /** The indicator values of the latest bar, null while warming up. */
  snapshot(): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    for (const v of this.values) out[v.name] = Number.isFinite(v.current) ? v.current : null;
    return out;
  }
}

/** A parsed, validated rule; `instantiate()` gives fresh state for one symbol. */
export class CompiledRule {
  constructor(
    readonly source: string,
    private readonly root: Node,
  ) {}

  instantiate(): RuleState {
    const values: NamedValue[] = [];
    const evaluate = this.root.build(values);
    return new RuleState(evaluate, values);
  }
}

/** Parses a rule expression; throws RuleSyntaxError naming the 1-based column and what was expected. */
export function compileRule(source: string): CompiledRule {
  if (source.trim() === '') throw new RuleSyntaxError(1, 'expected a rule expression, found an empty string');
  return new CompiledRule(source, new Parser(tokenize(source)).parseRule());
}
