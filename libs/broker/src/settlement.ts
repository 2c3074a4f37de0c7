import type { Fill, Order } from '@tradeyard/gateway-contract';
import { applyFill, borrowFee, cashAfterFill, endsGroup, matchBar, openStatuses, orderIdFor, quoteBar, transition, type EngineFill, type MatchResult, type PriceBar } from '@tradeyard/fill-engine';
import { divRound, formatMicros, fromMicros, toMicros } from '@tradeyard/money';
import { endGroup } from './cancellation';
import { CURRENCY, type BrokerContext, type BrokerEvent } from './context';
import { toOrder } from './order-view';
import { marginCheck, riskCheck } from './pre-trade-checks';
import { protectionsOf } from './protections';
import { orderStatusList, UnitOfWork, type AccountBook, type HeldPosition, type OrderRecord } from './unit-of-work';
import { equityOf, reservation } from './valuation';

/** Symbols with at least one open order of an account of `market`: only they can fill when that market's bar moves (one query for its whole universe). */
export async function symbolsWithOpenOrders(ctx: BrokerContext, market: string): Promise<Set<string>> {
  const rows = await ctx.db.query<{ symbol: string }>(`SELECT DISTINCT symbol FROM orders WHERE status IN ${orderStatusList} AND account_id IN (SELECT id FROM accounts WHERE market_id = $1)`, [market]);
  return new Set(rows.map((row) => row.symbol));
}

/** The latest bar of a symbol in a market as the fill engine takes it: the source's bar, else its quote as a one-price bar. */
function latestBar(ctx: BrokerContext, market: string, symbol: string): PriceBar | undefined {
  const prices = ctx.pricesIn(market);
  const bar = prices.bar?.(symbol);
  if (bar) return { time: bar.time, open: toMicros(bar.open), high: toMicros(bar.high), low: toMicros(bar.low), close: toMicros(bar.close), volume: toMicros(bar.volume) };
  const quote = prices.price(symbol);
  return quote && quoteBar(quote.time, toMicros(quote.price), quote.volume === undefined ? null : toMicros(quote.volume));
}

/**
 * Evaluates every open order of a symbol against its latest bar (the fill engine: limits the
 * range reaches, stops it triggers, trailing stops it moves, day orders it expires), oldest
 * first, each in its own transaction. A fill that no longer passes the risk checks (a stop that
 * gapped past its reservation, a position limit) rejects the order instead. Returns the number
 * of orders filled.
 */
export async function matchRestingOrders(ctx: BrokerContext, market: string, symbol: string): Promise<number> {
  const bar = latestBar(ctx, market, symbol);
  if (!bar) return 0;
  // Limit orders the bar's range cannot reach are left out; every other open order may trigger, trail or expire.
  const candidates = await ctx.db.query(
    `SELECT id, account_id FROM orders WHERE status IN ${orderStatusList} AND symbol = $1 AND
      (type <> 'limit' OR time_in_force IN ('day', 'gtd') OR (side = 'buy' AND limit_price >= $2) OR (side = 'sell' AND limit_price <= $3))
      AND account_id IN (SELECT id FROM accounts WHERE market_id = $4) ORDER BY created_at, id`,
    [symbol, formatMicros(bar.low), formatMicros(bar.high), market],
  );
  let filled = 0;
  for (const candidate of candidates) {
    const order = await matchOne(ctx, String(candidate.account_id), String(candidate.id), bar);
    if (order) {
      ctx.committed();
      if (order.status === 'filled') filled++;
    }
  }
  return filled;
}

/** One resting order against `bar`, in its own transaction: the order as it is after, or undefined when the bar changed nothing. */
async function matchOne(ctx: BrokerContext, accountId: string, orderId: string, bar: PriceBar): Promise<Order | undefined> {
  return ctx.db.transaction(async (tx) => {
    const work = await UnitOfWork.open(tx, { accounts: [accountId], allowShort: ctx.settings.allowShort, trading: true, orderIds: [orderId] });
    const resting = work.order(orderId);
    if (!resting || !openStatuses.includes(resting.status)) return undefined; // cancelled meanwhile
    const outcome = matchBar(resting, bar, ctx.costs);
    if (outcome.order === resting) return undefined; // this bar was already evaluated
    const book = work.book(accountId);
    const [position, price] = [book.position(resting.symbol), outcome.fills[0]?.price];
    const refusal = price === undefined ? undefined : (riskCheck(ctx, book, resting, position, price) ?? marginCheck(ctx, book, resting, position, price));
    let events: BrokerEvent[];
    if (refusal) {
      const step = transition(resting, 'reject', { reasonCode: `rejected_${refusal.code}`, reason: refusal.reason });
      const rejected = { ...step.order, reservedCash: 0n, reservedQuantity: 0n, updatedAt: new Date().toISOString() };
      work.save(rejected, [step.entry]);
      events = [{ channel: 'orders', accountId, data: toOrder(rejected) }, ...(await endGroup(work, rejected))];
    } else {
      events = await applyMatch(ctx, work, resting, outcome, book, bar.close);
    }
    work.publish(events);
    await work.flush();
    return events.find((e) => e.channel === 'orders')?.data as Order | undefined;
  });
}

/**
 * Applies one evaluation of the fill engine to the unit of work: each fill's row (its id
 * derived from the order and the fill's number), cash, fees paid, position and an equity point;
 * then the order (its reservation recomputed while it stays open) and its journal. Returns the
 * events to publish.
 */
export async function applyMatch(ctx: BrokerContext, work: UnitOfWork, before: OrderRecord, outcome: MatchResult<OrderRecord>, book: AccountBook, market: bigint): Promise<BrokerEvent[]> {
  const { accountId, symbol, side } = before;
  const { account } = book;
  const events: BrokerEvent[] = [];
  let position = book.position(symbol);
  let borrowFees = 0n;
  for (const engineFill of outcome.fills) {
    const f = { ...engineFill, fee: engineFill.fee + borrowOnCover(account, position, side, engineFill) };
    borrowFees += f.fee - engineFill.fee;
    work.addFill({ id: f.id, order: before, quantity: f.quantity, price: f.price, fee: f.fee, time: f.time, fillNumber: f.fillNumber });
    account.cash = cashAfterFill(account.cash, side, f.quantity, f.price, f.fee);
    book.feesPaid += f.fee;
    book.changed = true;
    const held = position.quantity;
    const next = applyFill(position, side, f.quantity, f.price, f.fee);
    // A position opens (or flips) at this fill's market time; a closed one has no open time.
    const openedAt = next.quantity === 0n ? null : held === 0n || held < 0n !== next.quantity < 0n ? f.time : position.openedAt;
    if (held !== 0n && next.quantity === 0n) countTrade(book, next.realizedPnl - position.realizedPnl, f.time);
    position = { ...next, openedAt };
    book.setPosition(symbol, position);
    // At the fill's market time, not the wall's: the equity chart lines up with the fills.
    work.addEquityPoint(book, f.time, equityOf(ctx, book));
    const fill: Fill = { id: f.id, orderId: before.id, accountId, symbol, side, quantity: fromMicros(f.quantity), price: fromMicros(f.price), fee: fromMicros(f.fee), currency: CURRENCY, time: f.time };
    events.push({ channel: 'fills', accountId, data: fill });
  }
  const after: OrderRecord = { ...outcome.order, fees: outcome.order.fees + borrowFees, accountId, symbol, createdAt: before.createdAt, updatedAt: new Date().toISOString() };
  // The open quantity changes only with a fill: without one the reservation stands (a bracket's second exit holds none).
  if (!openStatuses.includes(after.status)) Object.assign(after, { reservedCash: 0n, reservedQuantity: 0n });
  else if (outcome.fills.length) Object.assign(after, reservation(ctx, after, market, account.allowShort));
  else Object.assign(after, { reservedCash: before.reservedCash, reservedQuantity: before.reservedQuantity });
  work.save(after, outcome.journal);
  const related = endsGroup(before, outcome) ? await endGroup(work, after) : [];
  const entryDone = openStatuses.includes(before.status) && !openStatuses.includes(after.status) && after.filledQuantity > 0n;
  if (entryDone && (after.takeProfitPrice !== null || after.stopLossPrice !== null)) related.push(...placeBracketExits(ctx, work, after, book, outcome.fills.at(-1)?.time ?? after.evaluatedThrough ?? 0));
  return [{ channel: 'orders', accountId, data: toOrder(after) }, ...events, ...related];
}

/**
 * The exits of a bracket entry that has stopped trading with a filled quantity: a take-profit
 * limit and a stop-loss stop on the other side for that quantity, one cancels the other. They
 * start resting at the entry's last fill and are evaluated from the next bar. The pair
 * reserves once: the first child holds the shares (or cash), the second none.
 */
function placeBracketExits(ctx: BrokerContext, work: UnitOfWork, entry: OrderRecord, book: AccountBook, time: number): BrokerEvent[] {
  const events: BrokerEvent[] = [];
  const exits = [
    { kind: 'take_profit', type: 'limit' as const, limitPrice: entry.takeProfitPrice, stopPrice: null },
    { kind: 'stop_loss', type: 'stop' as const, limitPrice: null, stopPrice: entry.stopLossPrice },
  ].filter((e) => e.limitPrice !== null || e.stopPrice !== null);
  const now = new Date().toISOString();
  for (const [index, exit] of exits.entries()) {
    const initialized: OrderRecord = {
      id: orderIdFor(entry.id, exit.kind), accountId: entry.accountId, symbol: entry.symbol, side: entry.side === 'buy' ? 'sell' : 'buy', type: exit.type,
      timeInForce: 'gtc', quantity: entry.filledQuantity, limitPrice: exit.limitPrice, stopPrice: exit.stopPrice, trailAmount: null, trailPercent: null,
      trailAnchor: null, triggered: false, arrivalTime: time, evaluatedThrough: time, takeProfitPrice: null, stopLossPrice: null, parentId: entry.id, goodTillDate: null, ocoGroupId: null,
      status: 'initialized', reasonCode: null, reason: null, filledQuantity: 0n, filledNotional: 0n, filledValue: 0n, fees: 0n, fillCount: 0,
      reservedCash: 0n, reservedQuantity: 0n, createdAt: now, updatedAt: now,
    };
    const step = transition(initialized, 'accept');
    const child = { ...step.order, ...(index === 0 ? reservation(ctx, step.order, exit.limitPrice ?? exit.stopPrice!, book.account.allowShort) : {}) };
    work.insertOrder(child, [step.entry], null, null);
    events.push({ channel: 'orders', accountId: child.accountId, data: toOrder(child) });
  }
  return events;
}

/** The borrow fee a buy fill pays for the part of a short it covers (0 for anything else). */
function borrowOnCover(account: AccountBook['account'], position: HeldPosition, side: 'buy' | 'sell', fill: EngineFill): bigint {
  const rate = toMicros(account.config.borrowRateBps ?? 0);
  if (side !== 'buy' || position.quantity >= 0n || rate === 0n || position.openedAt === null) return 0n;
  const short = -position.quantity;
  const covered = fill.quantity < short ? fill.quantity : short;
  return borrowFee(covered === short ? position.cost : divRound(position.cost * covered, short), rate, fill.time - position.openedAt);
}

/**
 * Counts a closed trade for the cooldown protection: a trade whose closing fill realized a loss
 * (fees included) extends the losing streak, any other ends it; at the account's limit the
 * streak starts a cooldown of cooldownMinutes from the fill's market time.
 */
function countTrade(book: AccountBook, realized: bigint, time: number) {
  const { account } = book;
  const { cooldownAfterLosses, cooldownMinutes } = protectionsOf(account.config);
  if (cooldownAfterLosses === 0) return;
  let streak = realized < 0n ? account.losingStreak + 1 : 0;
  let until = account.cooldownUntil;
  if (streak >= cooldownAfterLosses) {
    until = time + cooldownMinutes * 60_000;
    streak = 0;
  }
  Object.assign(account, { losingStreak: streak, cooldownUntil: until });
  book.changed = true;
}
