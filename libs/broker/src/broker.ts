import type { Fill, Order, OrdersQuery, PlaceOrder, Portfolio, Position } from '@tradeyard/gateway-contract';
import { writeOutbox, type Database, type Queryable, type Row } from '@tradeyard/persistence';
import { randomUUID } from 'node:crypto';
import { applyFill, cashAfterFill, flat, round6, type PositionState } from './ledger';

export interface PriceSource {
  /** The current price of a symbol, or undefined when the symbol is unknown. */
  price(symbol: string): { price: number; time: number } | undefined;
}

export interface BrokerSettings {
  startingCash: number;
  feeBps: number;
  feeFixed: number;
  slippageBps: number;
  /** Largest notional of one order; 0 means no limit. */
  maxOrderNotional: number;
  /** Largest notional of one position after a fill; 0 means no limit. */
  maxPositionNotional: number;
  allowShort: boolean;
}

/** What the broker publishes after a commit, through the outbox (see libs/persistence/src/outbox.ts). */
export type BrokerEvent = { channel: 'orders'; accountId: string; data: Order } | { channel: 'fills'; accountId: string; data: Fill };

/** A request the broker refuses outright (not an order that gets rejected and recorded). */
export class BrokerError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

const orderColumns = `id, account_id, symbol, side, type, quantity::float8 AS quantity, limit_price::float8 AS limit_price, status, reason,
  filled_quantity::float8 AS filled_quantity, avg_fill_price::float8 AS avg_fill_price, fees::float8 AS fees, created_at, updated_at`;

function toOrder(r: Row): Order {
  const iso = (v: unknown) => (v instanceof Date ? v : new Date(String(v))).toISOString();
  return {
    id: String(r.id),
    accountId: String(r.account_id),
    symbol: String(r.symbol),
    side: r.side as Order['side'],
    type: r.type as Order['type'],
    quantity: Number(r.quantity),
    limitPrice: num(r.limit_price),
    status: r.status as Order['status'],
    reason: (r.reason as string | null) ?? null,
    filledQuantity: Number(r.filled_quantity),
    avgFillPrice: num(r.avg_fill_price),
    fees: Number(r.fees),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

/**
 * The paper broker and portfolio ledger. Every state change of an account happens in one
 * transaction that first locks the account row, so orders of one account are applied one at
 * a time and cash, positions, the order and its fill always change together. The events of a
 * change (order, fills) are written to the outbox in that same transaction; `committed` is called
 * after a commit that wrote some, so the relay can publish them at once.
 */
export class Broker {
  constructor(
    private readonly db: Database,
    private readonly prices: PriceSource,
    private readonly settings: BrokerSettings,
    private readonly committed: () => void = () => undefined,
  ) {}

  private async record(tx: Queryable, events: BrokerEvent[]) {
    for (const event of events) await writeOutbox(tx, event);
  }

  async ensureAccount(accountId: string): Promise<void> {
    await this.db.query('INSERT INTO accounts (id, initial_cash, cash) VALUES ($1, $2, $2) ON CONFLICT (id) DO NOTHING', [
      accountId,
      this.settings.startingCash,
    ]);
  }

  /**
   * Places an order. Market orders fill at once at the current price moved against the trade by
   * the slippage; limit orders fill at once when marketable, else rest as `new` until a price
   * crosses them. Risk failures are recorded as `rejected` orders with the reason. With an
   * idempotency key a retry returns the original order (`replayed`).
   */
  async placeOrder(accountId: string, input: PlaceOrder & { type: 'market' | 'limit' }, idempotencyKey?: string): Promise<{ order: Order; replayed: boolean }> {
    const quote = this.prices.price(input.symbol);
    if (!quote) throw new BrokerError(400, 'unknown_symbol', `symbol ${input.symbol} is not traded here`);
    await this.ensureAccount(accountId);
    const result = await this.db.transaction(async (tx) => {
      const events: BrokerEvent[] = [];
      const [account] = await tx.query('SELECT cash::float8 AS cash FROM accounts WHERE id = $1 FOR UPDATE', [accountId]);
      if (idempotencyKey) {
        const [existing] = await tx.query(`SELECT ${orderColumns} FROM orders WHERE account_id = $1 AND idempotency_key = $2`, [accountId, idempotencyKey]);
        if (existing) return { order: toOrder(existing), replayed: true };
      }
      const id = randomUUID();
      const quantity = round6(input.quantity);
      const limitPrice = input.limitPrice === undefined ? null : round6(input.limitPrice);
      await tx.query(
        `INSERT INTO orders (id, account_id, idempotency_key, symbol, side, type, quantity, limit_price, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'new')`,
        [id, accountId, idempotencyKey ?? null, input.symbol, input.side, input.type, quantity, limitPrice],
      );
      const marketable =
        input.type === 'market' || (input.side === 'buy' ? quote.price <= limitPrice! : quote.price >= limitPrice!);
      const reason = await this.riskCheck(tx, id, accountId, Number(account.cash), input.symbol, input.side, quantity, marketable ? this.fillPrice(input.side, quote.price, limitPrice) : limitPrice!);
      if (reason) {
        await tx.query(`UPDATE orders SET status = 'rejected', reason = $2, updated_at = now() WHERE id = $1`, [id, reason]);
      } else if (marketable) {
        events.push(...(await this.fill(tx, id, accountId, input.symbol, input.side, quantity, this.fillPrice(input.side, quote.price, limitPrice), quote.time)));
      }
      const [row] = await tx.query(`SELECT ${orderColumns} FROM orders WHERE id = $1`, [id]);
      const order = toOrder(row);
      await this.record(tx, [{ channel: 'orders', accountId, data: order }, ...events]);
      return { order, replayed: false };
    });
    if (!result.replayed) this.committed();
    return result;
  }

  /** Slippage moves the price against the trade; a limit order never fills beyond its limit. */
  private fillPrice(side: 'buy' | 'sell', price: number, limit: number | null): number {
    const slipped = price * (1 + ((side === 'buy' ? 1 : -1) * this.settings.slippageBps) / 10_000);
    const bounded = limit === null ? slipped : side === 'buy' ? Math.min(slipped, limit) : Math.max(slipped, limit);
    return round6(bounded);
  }

  private fee(quantity: number, price: number) {
    return round6(this.settings.feeFixed + (quantity * price * this.settings.feeBps) / 10_000);
  }

  /**
   * Why an order of this account may not trade, or undefined when it may. Open buy limits
   * reserve buying power; the order being checked is left out of that reservation.
   */
  private async riskCheck(tx: Queryable, orderId: string, accountId: string, cash: number, symbol: string, side: 'buy' | 'sell', quantity: number, price: number) {
    const s = this.settings;
    const notional = quantity * price;
    if (s.maxOrderNotional > 0 && notional > s.maxOrderNotional) {
      return `order notional ${notional.toFixed(2)} exceeds the limit of ${s.maxOrderNotional}`;
    }
    const [position] = await tx.query('SELECT quantity::float8 AS quantity FROM positions WHERE account_id = $1 AND symbol = $2', [accountId, symbol]);
    const held = position ? Number(position.quantity) : 0;
    const [open] = await tx.query(
      `SELECT coalesce(sum(quantity * limit_price), 0)::float8 AS reserved FROM orders WHERE account_id = $1 AND id <> $2 AND status = 'new' AND side = 'buy' AND type = 'limit'`,
      [accountId, orderId],
    );
    if (side === 'buy') {
      const available = cash - Number(open.reserved);
      const cost = notional + this.fee(quantity, price);
      if (cost > available + 1e-9) return `insufficient buying power: needs ${cost.toFixed(2)}, available ${available.toFixed(2)}`;
    } else if (!s.allowShort && quantity > held + 1e-9) {
      return `short selling is not enabled: selling ${quantity} ${symbol} but holding ${held}`;
    }
    const after = Math.abs(held + (side === 'buy' ? quantity : -quantity)) * price;
    if (s.maxPositionNotional > 0 && after > s.maxPositionNotional) {
      return `position notional ${after.toFixed(2)} would exceed the limit of ${s.maxPositionNotional}`;
    }
    return undefined;
  }

  /** Fills an order completely inside the caller's transaction: fill row, cash, position, order, equity point. */
  private async fill(tx: Queryable, orderId: string, accountId: string, symbol: string, side: 'buy' | 'sell', quantity: number, price: number, time: number): Promise<BrokerEvent[]> {
    const fee = this.fee(quantity, price);
    const fillId = randomUUID();
    await tx.query('INSERT INTO fills (id, order_id, account_id, symbol, side, quantity, price, fee, time) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)', [
      fillId, orderId, accountId, symbol, side, quantity, price, fee, time,
    ]);
    const [account] = await tx.query('SELECT cash::float8 AS cash FROM accounts WHERE id = $1', [accountId]);
    await tx.query('UPDATE accounts SET cash = $2 WHERE id = $1', [accountId, cashAfterFill(Number(account.cash), side, quantity, price, fee)]);
    const [row] = await tx.query(
      'SELECT quantity::float8 AS quantity, avg_price::float8 AS avg_price, realized_pnl::float8 AS realized_pnl FROM positions WHERE account_id = $1 AND symbol = $2',
      [accountId, symbol],
    );
    const before: PositionState = row ? { quantity: Number(row.quantity), avgPrice: Number(row.avg_price), realizedPnl: Number(row.realized_pnl) } : flat();
    const after = applyFill(before, side, quantity, price);
    await tx.query(
      `INSERT INTO positions (account_id, symbol, quantity, avg_price, realized_pnl) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (account_id, symbol) DO UPDATE SET quantity = $3, avg_price = $4, realized_pnl = $5`,
      [accountId, symbol, after.quantity, after.avgPrice, after.realizedPnl],
    );
    await tx.query(
      `UPDATE orders SET status = 'filled', filled_quantity = quantity, avg_fill_price = $2, fees = $3, updated_at = now() WHERE id = $1`,
      [orderId, price, fee],
    );
    const equity = await this.equityOf(tx, accountId);
    await tx.query('INSERT INTO equity_history (account_id, time, equity) VALUES ($1, $2, $3)', [accountId, Date.now(), round6(equity)]);
    const fill: Fill = { id: fillId, orderId, accountId, symbol, side, quantity, price, fee, time };
    return [{ channel: 'fills', accountId, data: fill }];
  }

  private async equityOf(q: Queryable, accountId: string): Promise<number> {
    const [account] = await q.query('SELECT cash::float8 AS cash FROM accounts WHERE id = $1', [accountId]);
    const positions = await q.query('SELECT symbol, quantity::float8 AS quantity, avg_price::float8 AS avg_price FROM positions WHERE account_id = $1', [accountId]);
    return positions.reduce((sum, p) => sum + Number(p.quantity) * (this.prices.price(String(p.symbol))?.price ?? Number(p.avg_price)), Number(account?.cash ?? 0));
  }

  /** Fills every resting limit order of a symbol that the current price crosses. */
  async matchRestingOrders(symbol: string): Promise<number> {
    const quote = this.prices.price(symbol);
    if (!quote) return 0;
    const candidates = await this.db.query(
      `SELECT id, account_id FROM orders WHERE status = 'new' AND symbol = $1 AND
        ((side = 'buy' AND limit_price >= $2) OR (side = 'sell' AND limit_price <= $2)) ORDER BY created_at`,
      [symbol, quote.price],
    );
    let filled = 0;
    for (const candidate of candidates) {
      const accountId = String(candidate.account_id);
      const order = await this.db.transaction(async (tx) => {
        const events: BrokerEvent[] = [];
        const [account] = await tx.query('SELECT cash::float8 AS cash FROM accounts WHERE id = $1 FOR UPDATE', [accountId]);
        const [row] = await tx.query(`SELECT ${orderColumns} FROM orders WHERE id = $1 AND status = 'new'`, [candidate.id]);
        if (!row) return undefined; // cancelled meanwhile
        const o = toOrder(row);
        const price = this.fillPrice(o.side, quote.price, o.limitPrice);
        const reason = await this.riskCheck(tx, o.id, accountId, Number(account.cash), o.symbol, o.side, o.quantity, price);
        if (reason) {
          await tx.query(`UPDATE orders SET status = 'rejected', reason = $2, updated_at = now() WHERE id = $1`, [o.id, reason]);
        } else {
          events.push(...(await this.fill(tx, o.id, accountId, o.symbol, o.side, o.quantity, price, quote.time)));
        }
        const [updated] = await tx.query(`SELECT ${orderColumns} FROM orders WHERE id = $1`, [o.id]);
        const order = toOrder(updated);
        await this.record(tx, [{ channel: 'orders', accountId, data: order }, ...events]);
        return order;
      });
      if (order) {
        this.committed();
        if (order.status === 'filled') filled++;
      }
    }
    return filled;
  }

  async cancelOrder(accountId: string, orderId: string): Promise<Order> {
    const result = await this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [accountId]);
      const [row] = await tx.query(`SELECT ${orderColumns} FROM orders WHERE id = $1 AND account_id = $2`, [orderId, accountId]);
      if (!row) throw new BrokerError(404, 'not_found', `no order ${orderId} in account ${accountId}`);
      const order = toOrder(row);
      if (order.status !== 'new') throw new BrokerError(409, 'not_cancellable', `order ${orderId} is ${order.status}; only new orders can be cancelled`);
      const [updated] = await tx.query(
        `UPDATE orders SET status = 'cancelled', reason = 'cancelled by the account', updated_at = now() WHERE id = $1 RETURNING ${orderColumns}`,
        [orderId],
      );
      const cancelled = toOrder(updated);
      await this.record(tx, [{ channel: 'orders', accountId, data: cancelled }]);
      return cancelled;
    });
    this.committed();
    return result;
  }

  async getOrder(accountId: string, orderId: string): Promise<Order> {
    const [row] = await this.db.query(`SELECT ${orderColumns} FROM orders WHERE id = $1 AND account_id = $2`, [orderId, accountId]);
    if (!row) throw new BrokerError(404, 'not_found', `no order ${orderId} in account ${accountId}`);
    return toOrder(row);
  }

  async listOrders(accountId: string, query: OrdersQuery = {}): Promise<Order[]> {
    const rows = await this.db.query(
      `SELECT ${orderColumns} FROM orders WHERE account_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR symbol = $3)
       ORDER BY created_at DESC, id LIMIT $4`,
      [accountId, query.status ?? null, query.symbol ?? null, query.limit ?? 100],
    );
    return rows.map(toOrder);
  }

  async portfolio(accountId: string): Promise<Portfolio> {
    const [account] = await this.db.query('SELECT cash::float8 AS cash FROM accounts WHERE id = $1', [accountId]);
    if (!account) throw new BrokerError(404, 'not_found', `no paper account ${accountId}`);
    const rows = await this.db.query(
      'SELECT symbol, quantity::float8 AS quantity, avg_price::float8 AS avg_price, realized_pnl::float8 AS realized_pnl FROM positions WHERE account_id = $1 ORDER BY symbol',
      [accountId],
    );
    const realizedPnl = round6(rows.reduce((sum, r) => sum + Number(r.realized_pnl), 0));
    // Closed positions keep their realized P&L in the total but are not listed.
    const positions: Position[] = rows.filter((r) => Number(r.quantity) !== 0).map((r) => {
      const quantity = Number(r.quantity);
      const avgPrice = Number(r.avg_price);
      const marketPrice = this.prices.price(String(r.symbol))?.price ?? avgPrice;
      return {
        symbol: String(r.symbol),
        quantity,
        avgPrice,
        marketPrice,
        marketValue: round6(quantity * marketPrice),
        unrealizedPnl: round6(quantity * (marketPrice - avgPrice)),
        realizedPnl: Number(r.realized_pnl),
      };
    });
    const cash = Number(account.cash);
    const positionsValue = round6(positions.reduce((s, p) => s + p.marketValue, 0));
    return {
      accountId,
      cash,
      positionsValue,
      equity: round6(cash + positionsValue),
      realizedPnl,
      unrealizedPnl: round6(positions.reduce((s, p) => s + p.unrealizedPnl, 0)),
      positions,
    };
  }

  async equityHistory(accountId: string, limit = 1000): Promise<{ time: number; equity: number }[]> {
    const rows = await this.db.query(
      'SELECT time, equity::float8 AS equity FROM (SELECT time, equity, seq FROM equity_history WHERE account_id = $1 ORDER BY seq DESC LIMIT $2) t ORDER BY seq',
      [accountId, limit],
    );
    return rows.map((r) => ({ time: Number(r.time), equity: Number(r.equity) }));
  }

  /** Cash and positions recomputed from the account's fills alone, in the order they happened. */
  async recompute(accountId: string): Promise<{ cash: number; positions: Record<string, PositionState> }> {
    const [account] = await this.db.query('SELECT initial_cash::float8 AS initial_cash FROM accounts WHERE id = $1', [accountId]);
    const fills = await this.db.query(
      'SELECT symbol, side, quantity::float8 AS quantity, price::float8 AS price, fee::float8 AS fee FROM fills WHERE account_id = $1 ORDER BY seq',
      [accountId],
    );
    let cash = Number(account?.initial_cash ?? this.settings.startingCash);
    const positions: Record<string, PositionState> = {};
    for (const f of fills) {
      const side = f.side as 'buy' | 'sell';
      cash = cashAfterFill(cash, side, Number(f.quantity), Number(f.price), Number(f.fee));
      positions[String(f.symbol)] = applyFill(positions[String(f.symbol)] ?? flat(), side, Number(f.quantity), Number(f.price));
    }
    return { cash, positions };
  }

  /** The stored cash and positions, in the shape recompute() returns. */
  async storedState(accountId: string): Promise<{ cash: number; positions: Record<string, PositionState> }> {
    const [account] = await this.db.query('SELECT cash::float8 AS cash FROM accounts WHERE id = $1', [accountId]);
    const rows = await this.db.query(
      'SELECT symbol, quantity::float8 AS quantity, avg_price::float8 AS avg_price, realized_pnl::float8 AS realized_pnl FROM positions WHERE account_id = $1',
      [accountId],
    );
    return {
      cash: Number(account?.cash ?? this.settings.startingCash),
      positions: Object.fromEntries(rows.map((r) => [String(r.symbol), { quantity: Number(r.quantity), avgPrice: Number(r.avg_price), realizedPnl: Number(r.realized_pnl) }])),
    };
  }
}
