import type { Order, OrdersQuery, Portfolio, Position } from '@tradeyard/gateway-contract';
import { applyFill, averagePrice, BrokerError, cashAfterFill, flat, type OrderEvent, type PositionState, type OrderJournalEntry, type OrderStatus, type ReasonCode } from '@tradeyard/fill-engine';
import { fromMicros, notional, parseMicros, toMicros } from '@tradeyard/money';
import { CURRENCY, type BrokerContext } from './context';
import { toOrder } from './order-view';
import { iso, orderColumns, positionOf, toRecord } from './unit-of-work';
import { marketPrice } from './valuation';

export interface LedgerState {
  cash: bigint;
  feesPaid: bigint;
  positions: Record<string, PositionState>;
}

export async function getOrder(ctx: BrokerContext, accountId: string, orderId: string): Promise<Order> {
  const [row] = await ctx.db.query(`SELECT ${orderColumns} FROM orders WHERE id = $1 AND account_id = $2`, [orderId, accountId]);
  if (!row) throw new BrokerError('not_found', 'not_found', `no order ${orderId} in account ${accountId}`);
  return toOrder(toRecord(row));
}

/** The journal of one order: every status change in the order it happened, with its time. */
export async function orderEvents(ctx: BrokerContext, accountId: string, orderId: string): Promise<(OrderJournalEntry & { createdAt: string })[]> {
  await getOrder(ctx, accountId, orderId);
  const rows = await ctx.db.query(
    'SELECT order_id, event, from_status, to_status, reason_code, reason, fill_id, created_at FROM order_events WHERE order_id = $1 AND account_id = $2 ORDER BY seq',
    [orderId, accountId],
  );
  return rows.map((r) => ({
    orderId: String(r.order_id),
    event: r.event as OrderEvent,
    from: r.from_status as OrderStatus,
    to: r.to_status as OrderStatus,
    reasonCode: (r.reason_code as ReasonCode | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    fillId: r.fill_id === null ? null : String(r.fill_id),
    createdAt: iso(r.created_at),
  }));
}

export async function listOrders(ctx: BrokerContext, accountId: string, query: OrdersQuery = {}): Promise<Order[]> {
  const rows = await ctx.db.query(
    `SELECT ${orderColumns} FROM orders WHERE account_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR symbol = $3)
     ORDER BY created_at DESC, id LIMIT $4`,
    [accountId, query.status ?? null, query.symbol ?? null, query.limit ?? 100],
  );
  return rows.map((r) => toOrder(toRecord(r)));
}

export async function portfolio(ctx: BrokerContext, accountId: string): Promise<Portfolio> {
  const [account] = await ctx.db.query('SELECT market_id, initial_cash::text AS initial_cash, cash::text AS cash, fees_paid::text AS fees_paid FROM accounts WHERE id = $1', [accountId]);
  if (!account) throw new BrokerError('not_found', 'not_found', `no paper account ${accountId}`);
  const rows = await ctx.db.query(
    'SELECT symbol, quantity::text AS quantity, cost::text AS cost, realized_pnl::text AS realized_pnl FROM positions WHERE account_id = $1 ORDER BY symbol',
    [accountId],
  );
  let realized = 0n;
  let unrealized = 0n;
  let positionsValue = 0n;
  const positions: Position[] = [];
  for (const r of rows) {
    const symbol = String(r.symbol);
    const position = positionOf(r);
    realized += position.realizedPnl;
    // Closed positions keep their realized P&L in the total but are not listed.
    if (position.quantity === 0n) continue;
    const price = marketPrice(ctx, String(account.market_id), symbol) ?? averagePrice(position);
    const marketValue = notional(position.quantity, price);
    positionsValue += marketValue;
    unrealized += marketValue - position.cost;
    positions.push({
      symbol,
      quantity: fromMicros(position.quantity),
      avgPrice: fromMicros(averagePrice(position)),
      costBasis: fromMicros(position.cost),
      marketPrice: fromMicros(price),
      marketValue: fromMicros(marketValue),
      unrealizedPnl: fromMicros(marketValue - position.cost),
      realizedPnl: fromMicros(position.realizedPnl),
    });
  }
  const cash = parseMicros(account.cash as string);
  return {
    accountId,
    currency: CURRENCY,
    initialCash: fromMicros(parseMicros(account.initial_cash as string)),
    cash: fromMicros(cash),
    positionsValue: fromMicros(positionsValue),
    equity: fromMicros(cash + positionsValue),
    realizedPnl: fromMicros(realized),
    unrealizedPnl: fromMicros(unrealized),
    feesPaid: fromMicros(parseMicros(account.fees_paid as string)),
    positions,
  };
}

export async function equityHistory(ctx: BrokerContext, accountId: string, limit = 1000): Promise<{ time: number; equity: number }[]> {
  const rows = await ctx.db.query(
    'SELECT time, equity::float8 AS equity FROM (SELECT time, equity, seq FROM equity_history WHERE account_id = $1 ORDER BY seq DESC LIMIT $2) t ORDER BY seq',
    [accountId, limit],
  );
  return rows.map((r) => ({ time: Number(r.time), equity: Number(r.equity) }));
}

/** Cash, fees paid and positions recomputed from the account's fills alone, in the order they happened. */
export async function recompute(ctx: BrokerContext, accountId: string): Promise<LedgerState> {
  const [account] = await ctx.db.query('SELECT initial_cash::text AS initial_cash FROM accounts WHERE id = $1', [accountId]);
  const fills = await ctx.db.query(
    'SELECT symbol, side, quantity::text AS quantity, price::text AS price, fee::text AS fee FROM fills WHERE account_id = $1 ORDER BY seq',
    [accountId],
  );
  let cash = account ? parseMicros(account.initial_cash as string) : toMicros(ctx.settings.startingCash);
  let feesPaid = 0n;
  const positions: Record<string, PositionState> = {};
  for (const f of fills) {
    const side = f.side as 'buy' | 'sell';
    const [quantity, price, fee] = [parseMicros(f.quantity as string), parseMicros(f.price as string), parseMicros(f.fee as string)];
    cash = cashAfterFill(cash, side, quantity, price, fee);
    feesPaid += fee;
    positions[String(f.symbol)] = applyFill(positions[String(f.symbol)] ?? flat(), side, quantity, price, fee);
  }
  return { cash, feesPaid, positions };
}

/** The stored cash, fees paid and positions, in the shape recompute() returns. */
export async function storedState(ctx: BrokerContext, accountId: string): Promise<LedgerState> {
  const [account] = await ctx.db.query('SELECT cash::text AS cash, fees_paid::text AS fees_paid FROM accounts WHERE id = $1', [accountId]);
  const rows = await ctx.db.query('SELECT symbol, quantity::text AS quantity, cost::text AS cost, realized_pnl::text AS realized_pnl FROM positions WHERE account_id = $1', [accountId]);
  return {
    cash: account ? parseMicros(account.cash as string) : toMicros(ctx.settings.startingCash),
    feesPaid: parseMicros(account?.fees_paid as string | undefined),
    positions: Object.fromEntries(rows.map((r) => [String(r.symbol), positionOf(r)])),
  };
}
