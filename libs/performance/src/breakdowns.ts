import { divRound, fromMicros } from '@tradeyard/money';
import { z } from 'zod';
import { formatValue } from './html';
import { escapeHtml } from './svg';
import { htmlTable, textTable } from './tables';

const DAY_MS = 86_400_000;

/** The group of trades that carry no reason tag. */
export const NO_REASON = '(none)';

/** A closed round trip of any backtester: its P&L exact (micro-units, libs/money), fees included. */
export interface ClosedTrade {
  symbol: string;
  /** The reason tag of the decision that opened it; absent or empty: grouped under "(none)". */
  reason?: string;
  /** ms since the epoch. */
  entryTime: number;
  exitTime: number;
  /** Micro-units of cash. */
  pnl: bigint;
  /** pnl over the cost of the entry, as a fraction. */
  return: number;
}

const closedTradeSchema = z
  .object({
    symbol: z.string({ error: 'symbol must be a string' }).min(1, 'symbol must not be empty'),
    reason: z.string({ error: 'reason must be a string' }).optional(),
    entryTime: z.number({ error: 'entryTime must be a number' }).finite('entryTime must be finite'),
    exitTime: z.number({ error: 'exitTime must be a number' }).finite('exitTime must be finite'),
    pnl: z.bigint({ error: 'pnl must be micro-units (a bigint)' }),
    return: z.number({ error: 'return must be a number' }).finite('return must be finite'),
  })
  .refine((t) => t.exitTime >= t.entryTime, { path: ['exitTime'], error: 'exitTime must not precede entryTime' });

/** One group's figures. Money is summed exactly in micro-units and converted to a number once, at the end. */
export interface BreakdownRow {
  key: string;
  trades: number;
  /** Trades with P&L above 0 / trades. */
  winRate: number;
  totalPnl: number;
  /** totalPnl / trades, rounded to the micro-unit. */
  averagePnl: number;
  /** Mean of the trades' returns. */
  averageReturn: number;
  /** Σ P&L of winners / |Σ P&L of losers|; null without a loser. */
  profitFactor: number | null;
  /** This group's P&L over all the trades' P&L (negative for a losing group of a winning run; the shares sum to 1); null when the total is 0. */
  shareOfPnl: number | null;
  averageHoldingDays: number;
}

export interface Breakdown {
  by: 'symbol' | 'reason';
  /** Largest total P&L first; equal totals by key. */
  rows: BreakdownRow[];
  /** Every trade together, keyed "all trades". */
  total: BreakdownRow;
}

interface Group {
  key: string;
  trades: number;
  wins: number;
  pnl: bigint;
  grossWin: bigint;
  grossLoss: bigint;
  returns: number;
  heldMs: number;
}

function add(group: Group, t: ClosedTrade) {
  group.trades++;
  group.pnl += t.pnl;
  if (t.pnl > 0n) {
    group.wins++;
    group.grossWin += t.pnl;
  } else if (t.pnl < 0n) group.grossLoss -= t.pnl;
  group.returns += t.return;
  group.heldMs += t.exitTime - t.entryTime;
}

const emptyGroup = (key: string): Group => ({ key, trades: 0, wins: 0, pnl: 0n, grossWin: 0n, grossLoss: 0n, returns: 0, heldMs: 0 });

function row(group: Group, total: bigint): BreakdownRow {
  const n = group.trades;
  return {
    key: group.key,
    trades: n,
    winRate: n > 0 ? group.wins / n : 0,
    totalPnl: fromMicros(group.pnl),
    averagePnl: n > 0 ? fromMicros(divRound(group.pnl, BigInt(n))) : 0,
    averageReturn: n > 0 ? group.returns / n : 0,
    profitFactor: group.grossLoss > 0n ? Number(group.grossWin) / Number(group.grossLoss) : null,
    shareOfPnl: total !== 0n ? Number(group.pnl) / Number(total) : null,
    averageHoldingDays: n > 0 ? group.heldMs / n / DAY_MS : 0,
  };
}

/** Validates trades; a bad one throws a RangeError naming `trades.<index>.<field>` and the rule. */
function parseTrades(trades: readonly ClosedTrade[]): void {
  for (let i = 0; i < trades.length; i++) {
    const parsed = closedTradeSchema.safeParse(trades[i]);
    if (!parsed.success) throw new RangeError(parsed.error.issues.map((issue) => `${['trades', i, ...issue.path].join('.')}: ${issue.message}`).join('; '));
  }
}

/** The reason a trade is grouped under: its tag, or "(none)" when it has none (or an empty one). */
export const reasonOf = (trade: Pick<ClosedTrade, 'reason'>) => (trade.reason ? trade.reason : NO_REASON);

/**
 * Trades grouped by symbol or by reason tag: count, win rate, total and average P&L, average
 * return, profit factor, share of the total P&L and average holding period per group, and the
 * same over all trades.
 */
export function tradeBreakdown(trades: readonly ClosedTrade[], by: 'symbol' | 'reason'): Breakdown {
  parseTrades(trades);
  const groups = new Map<string, Group>();
  const all = emptyGroup('all trades');
  for (const t of trades) {
    const key = by === 'symbol' ? t.symbol : reasonOf(t);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = emptyGroup(key)));
    add(group, t);
    add(all, t);
  }
  const rows = [...groups.values()].sort((a, b) => (a.pnl === b.pnl ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : a.pnl > b.pnl ? -1 : 1));
  return { by, rows: rows.map((g) => row(g, all.pnl)), total: row(all, all.pnl) };
}

const HEADS = ['Trades', 'Win rate', 'Total P&L', 'Average P&L', 'Average return', 'Profit factor', 'Share of P&L', 'Average days held'];
const cells = (r: BreakdownRow) => [
  r.key,
  formatValue(r.trades, 'count'),
  formatValue(r.winRate, 'percent'),
  formatValue(r.totalPnl, 'money'),
  formatValue(r.averagePnl, 'money'),
  formatValue(r.averageReturn, 'percent'),
  formatValue(r.profitFactor, 'ratio'),
  formatValue(r.shareOfPnl, 'percent'),
  formatValue(r.averageHoldingDays, 'days'),
];
const title = (b: Breakdown) => (b.by === 'symbol' ? 'Trades by symbol' : 'Trades by reason');

/** The breakdown as a plain-text table, the total last. */
export function breakdownText(b: Breakdown): string {
  return `${title(b)}\n${textTable([[b.by === 'symbol' ? 'Symbol' : 'Reason', ...HEADS], ...[...b.rows, b.total].map(cells)])}`;
}

/** The breakdown as an HTML section, every string escaped. */
export function breakdownHtml(b: Breakdown): string {
  const rows = [...b.rows, b.total].map((r) => cells(r).map(escapeHtml));
  return `<h2>${title(b)}</h2>\n${b.total.trades > 0 ? htmlTable([b.by === 'symbol' ? 'Symbol' : 'Reason', ...HEADS], rows) : '<p>No trades.</p>'}`;
}
