import type { CostModel } from './costs';
import { arrive, matchBar, type EngineFill, type EngineOrder, type MatchResult, type PriceBar, type TimeInForce } from './engine';
import { openStatuses, transition, type OrderJournalEntry } from './order';

/**
 * One-cancels-other groups (the habit of nautilus_trader's OCO contingency): two or more resting
 * orders of one symbol linked by `ocoGroupId`. The first of them that trades — a partial fill
 * included — or leaves the open statuses for any reason (filled, cancelled, expired, rejected)
 * ends the group: every other open order of it is cancelled (`cancelled_by_oco`) in the same step,
 * and the one that traded keeps its remainder open. So at most one order of a group ever trades.
 * The broker (one transaction per order) and `matchBook` (a backtester's book) both apply it.
 */

/** Most orders one one-cancels-other group links. */
export const MAX_OCO_ORDERS = 10;

/** An order of a group as placed: what the group's rules read. */
export interface OcoLeg {
  symbol: string;
  timeInForce?: TimeInForce;
  expireDate?: string;
}

/** A rule an order of a group breaks: its index in the group, the field, and the rule. */
export interface OcoIssue {
  index: number;
  field: 'symbol' | 'timeInForce' | 'expireDate';
  message: string;
}

/**
 * The rules a group's orders keep beyond an order's own, for every place that takes a group (the
 * gateway's POST /api/v1/orders/oco, a strategy's orders): they trade one symbol and rest together,
 * so each is day, gtc or gtd (gtc when unset), all the same, with the same expiry date.
 */
export function ocoGroupIssues(orders: readonly OcoLeg[]): OcoIssue[] {
  const [first] = orders;
  const firstTif = first?.timeInForce ?? 'gtc';
  const rests = (tif: TimeInForce) => tif !== 'ioc' && tif !== 'fok';
  const issues: OcoIssue[] = [];
  orders.forEach((order, index) => {
    const tif = order.timeInForce ?? 'gtc';
    const issue = (field: OcoIssue['field'], message: string) => issues.push({ index, field, message });
    if (!rests(tif)) return issue('timeInForce', 'must be day, gtc or gtd for an order of a one-cancels-other group: its orders rest until one trades');
    if (index === 0) return;
    if (order.symbol !== first.symbol) issue('symbol', `must be ${first.symbol}, the symbol of the group's first order: a one-cancels-other group trades one symbol`);
    else if (rests(firstTif) && (tif !== firstTif || order.expireDate !== first.expireDate)) {
      issue(tif !== firstTif ? 'timeInForce' : 'expireDate', `must be the same as the group's first order's (${firstTif}${first.expireDate ? ` ${first.expireDate}` : ''}): the orders of a group expire together`);
    }
  });
  return issues;
}

/** Whether an evaluation from `before` to `result` ends the order's group: it traded, or it closed. */
export const endsGroup = (before: EngineOrder, result: MatchResult<EngineOrder>): boolean =>
  result.fills.length > 0 || (openStatuses.includes(before.status) && !openStatuses.includes(result.order.status));

/** The sentence on a cancelled order of a group that `cause` ended. */
export const groupEndedBy = (cause: EngineOrder, link: 'one-cancels-other group' | 'bracket'): string =>
  `order ${cause.id} of its ${link} ${cause.filledQuantity > 0n ? 'traded' : `was ${cause.status}`}`;

/** Cancels an open order whose group another order ended, through the transition table; a closed one passes through. */
export function cancelLinked<T extends EngineOrder>(order: T, reasonCode: 'cancelled_by_oco' | 'cancelled_by_bracket', reason: string): { order: T; journal: OrderJournalEntry[] } {
  if (!openStatuses.includes(order.status)) return { order, journal: [] };
  const step = transition(order, 'cancel', { reasonCode, reason });
  return { order: step.order, journal: [step.entry] };
}

/** A book's evaluation against one price point: every order's next state (in the order given), the fills and the journal as they happened. */
export interface BookResult<T extends EngineOrder> {
  orders: T[];
  fills: EngineFill[];
  journal: OrderJournalEntry[];
}

function evaluateBook<T extends EngineOrder>(orders: readonly T[], evaluate: (order: T) => MatchResult<T>): BookResult<T> {
  const next = [...orders];
  const fills: EngineFill[] = [];
  const journal: OrderJournalEntry[] = [];
  const ended = new Map<string, EngineOrder>(); // group → the order that ended it
  const cancel = (index: number, cause: EngineOrder) => {
    const cancelled = cancelLinked(next[index], 'cancelled_by_oco', groupEndedBy(cause, 'one-cancels-other group'));
    next[index] = cancelled.order;
    journal.push(...cancelled.journal);
  };
  next.forEach((order, index) => {
    const group = order.ocoGroupId ?? null;
    const cause = group === null ? undefined : ended.get(group);
    if (cause) return cancel(index, cause); // never evaluated: its group ended earlier on this price point
    const result = evaluate(order);
    next[index] = result.order;
    fills.push(...result.fills);
    journal.push(...result.journal);
    if (group === null || !endsGroup(order, result)) return;
    ended.set(group, result.order);
    // Orders of the group evaluated before it, still open, end with it.
    for (let earlier = 0; earlier < index; earlier++) if (next[earlier].ocoGroupId === group) cancel(earlier, result.order);
  });
  return { orders: next, fills, journal };
}

/**
 * Orders arriving together at a quote (an OCO group placed at once), in the order given: each as
 * `arrive` evaluates it, and once one ends its group the others are cancelled instead.
 */
export const arriveBook = <T extends EngineOrder>(orders: readonly T[], quote: PriceBar, costs: CostModel): BookResult<T> =>
  evaluateBook(orders, (order) => arrive(order, quote, costs));

/**
 * A backtester's resting orders against the next bar, oldest first (as the paper broker matches
 * them): each as `matchBar` evaluates it, and once one ends its group the group's other open
 * orders are cancelled (cancelled_by_oco) before they could trade. Orders without a group are
 * evaluated exactly as matchBar alone.
 */
export const matchBook = <T extends EngineOrder>(orders: readonly T[], bar: PriceBar, costs: CostModel): BookResult<T> =>
  evaluateBook(orders, (order) => matchBar(order, bar, costs));
