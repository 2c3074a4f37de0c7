import type { Decision } from '@tradeyard/strategy';

/**
 * What one step's decisions say about one symbol, comparable across runs: its shape (the words,
 * with `#` for each number) and the numbers apart, so that a check can compare them exactly or
 * within a tolerance.
 */
export interface SymbolDecision {
  readonly shape: string;
  readonly values: readonly number[];
}

/** The key of what a decision says about no one symbol (cancelling orders by id, or all). */
export const ACCOUNT = '*';

/** One order's fields as words and numbers, in a fixed order (the fields a strategy gave). */
function orderWords(order: Record<string, unknown>, values: number[]): string {
  return Object.keys(order)
    .filter((key) => key !== 'symbol' && order[key] !== undefined)
    .sort()
    .map((key) => {
      const value = order[key];
      if (typeof value !== 'number') return `${key}=${String(value)}`;
      values.push(value);
      return `${key}=#`;
    })
    .join(' ');
}

/** Adds a part to a symbol's entry. */
function add(entries: Map<string, { words: string[]; values: number[] }>, symbol: string, words: string, values: number[]): void {
  const entry = entries.get(symbol) ?? { words: [], values: [] };
  entry.words.push(words);
  entry.values.push(...values);
  entries.set(symbol, entry);
}

/** A step's decisions by symbol: each target weight, each order, and cancels under ACCOUNT. */
export function bySymbol(decisions: readonly Decision[]): Map<string, SymbolDecision> {
  const entries = new Map<string, { words: string[]; values: number[] }>();
  for (const decision of decisions) {
    const reason = decision.reason === undefined ? '' : ` (reason ${decision.reason})`;
    if (decision.kind === 'targets') {
      for (const symbol of Object.keys(decision.weights).sort()) add(entries, symbol, `target #${reason}`, [decision.weights[symbol]]);
      continue;
    }
    if (decision.cancel === 'all' || decision.cancel.length > 0) add(entries, ACCOUNT, `cancel ${decision.cancel === 'all' ? 'all' : decision.cancel.join(',')}${reason}`, []);
    for (const order of decision.orders) {
      const values: number[] = [];
      const words = orderWords(order as unknown as Record<string, unknown>, values);
      add(entries, order.symbol, `order ${words}${reason}`, values);
    }
  }
  return new Map([...entries].map(([symbol, { words, values }]) => [symbol, { shape: words.join('; '), values }]));
}

/** Two numbers agree: equal (NaN with NaN), or within `tolerance` of the larger magnitude (at least 1). */
export const agree = (a: number, b: number, tolerance: number): boolean =>
  a === b || (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b));

/** Whether two runs decided the same about a symbol (both nothing, or the same words with agreeing numbers). */
export function sameDecision(a: SymbolDecision | undefined, b: SymbolDecision | undefined, tolerance: number): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.shape === b.shape && a.values.length === b.values.length && a.values.every((v, i) => agree(v, b.values[i], tolerance));
}

/** A decision in words, numbers in place: `target 0.5 (reason top)`, or `no decision`. */
export function decisionText(decision: SymbolDecision | undefined): string {
  if (decision === undefined) return 'no decision';
  let i = 0;
  return decision.shape.replace(/#/g, () => String(decision.values[i++]));
}

/** The symbols two steps' decisions name, in a stable order (the account's cancels last). */
export const namedSymbols = (a: ReadonlyMap<string, SymbolDecision>, b: ReadonlyMap<string, SymbolDecision>): string[] =>
  [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => (x === ACCOUNT ? 1 : y === ACCOUNT ? -1 : x < y ? -1 : x > y ? 1 : 0));
