import type { Fill, Order, OrdersQuery, PlaceOrder, Portfolio, Position } from '@tradeyard/gateway-contract';
import { writeOutbox, type Database, type Queryable, type Row } from '@tradeyard/persistence';
import { createHash, randomUUID } from 'node:crypto';
import { applyFill, averagePrice, cashAfterFill, flat, type PositionState } from './ledger';
import { divRound, formatMicros, fromMicros, MICROS, notional, parseMicros, toMicros, type Currency } from '@tradeyard/money';
import { BrokerError, openStatuses, transition, type OrderEvent, type OrderJournalEntry, type OrderStatus, type ReasonCode } from './order';

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

/** The currency of every account, price and amount of this broker. */
export const CURRENCY: Currency = 'USD';

/** What the broker publishes after a commit, through the outbox (see libs/persistence/src/outbox.ts). */
export type BrokerEvent = { channel: 'orders'; accountId: string; data: Order } | { channel: 'fills'; accountId: string; data: Fill };

/** An order as the broker holds it: amounts in micro-units. */
interface OrderRecord {
  id: string;
  accountId: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: 'market' | 'limit';
  quantity: bigint;
  limitPrice: bigint | null;
  status: OrderStatus;
  reasonCode: ReasonCode | null;
  reason: string | null;
  filledQuantity: bigint;
  filledNotional: bigint;
  fees: bigint;
  fillCount: number;
  reservedCash: bigint;
  reservedQuantity: bigint;
  createdAt: string;
  updatedAt: string;
}

const orderColumns = `id, account_id, symbol, side, type, quantity::text AS quantity, limit_price::text AS limit_price, status, reason_code, reason,
  filled_quantity::text AS filled_quantity, filled_notional::text AS filled_notional, fees::text AS fees, fill_count,
  reserved_cash::text AS reserved_cash, reserved_quantity::text AS reserved_quantity, request_hash, created_at, updated_at`;

const iso = (v: unknown) => (v instanceof Date ? v : new Date(String(v))).toISOString();
const orderStatusList = `(${openStatuses.map((s) => `'${s}'`).join(', ')})`;

function toRecord(r: Row): OrderRecord {
  return {
    id: String(r.id),
    accountId: String(r.account_id),
    symbol: String(r.symbol),
    side: r.side as OrderRecord['side'],
    type: r.type as OrderRecord['type'],
    quantity: parseMicros(r.quantity as string),
    limitPrice: r.limit_price === null || r.limit_price === undefined ? null : parseMicros(r.limit_price as string),
    status: r.status as OrderStatus,
    reasonCode: (r.reason_code as ReasonCode | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    filledQuantity: parseMicros(r.filled_quantity as string),
    filledNotional: parseMicros(r.filled_notional as string),
    fees: parseMicros(r.fees as string),
    fillCount: Number(r.fill_count),
    reservedCash: parseMicros(r.reserved_cash as string),
    reservedQuantity: parseMicros(r.reserved_quantity as string),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

function toOrder(o: OrderRecord): Order {
  return {
    id: o.id,
    accountId: o.accountId,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    quantity: fromMicros(o.quantity),
    limitPrice: o.limitPrice === null ? null : fromMicros(o.limitPrice),
    status: o.status as Order['status'],
    reasonCode: o.reasonCode,
    reason: o.reason,
    filledQuantity: fromMicros(o.filledQuantity),
    avgFillPrice: o.filledQuantity === 0n ? null : fromMicros(divRound(o.filledNotional * MICROS, o.filledQuantity)),
    fees: fromMicros(o.fees),
    currency: CURRENCY,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
}

/**
 * A fill's id from its order and its number within the order: the same fill recorded twice
 * (a retried match) has the same id, so the fills table keeps it once. Formatted as a UUID
 * (version 5 layout over SHA-1) to fit the uuid column.
 */
export function fillId(orderId: string, fillNumber: number): string {
  const hex = createHash('sha1').update(`${orderId}/fill/${fillNumber}`).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const shown = (micros: bigint) => fromMicros(micros).toFixed(2);

/**
 * The paper broker and portfolio ledger. Every state change of an account happens in one
 * transaction that first locks the account row, so orders of one account are applied one at
 * a time and cash, positions, the order, its journal and its fill always change together. The
 * events of a change (order, fills) are written to the outbox in that same transaction;
 * `committed` is called after a commit that wrote some, so the relay can publish them at once.
 * Every status change goes through the transition table of src/order.ts. Amounts are exact
 * micro-units (libs/money).
 */
export class Broker {
  private readonly feeFixed: bigint;
  private readonly feeBpsMicros: bigint;
  private readonly slippageBpsMicros: bigint;
  private readonly maxOrderNotional: bigint;
  private readonly maxPositionNotional: bigint;

  constructor(
    private readonly db: Database,
    private readonly prices: PriceSource,
    private readonly settings: BrokerSettings,
    private readonly committed: () => void = () => undefined,
  ) {
    this.feeFixed = toMicros(settings.feeFixed);
    this.feeBpsMicros = toMicros(settings.feeBps);
    this.slippageBpsMicros = toMicros(settings.slippageBps);
    this.maxOrderNotional = toMicros(settings.maxOrderNotional);
    this.maxPositionNotional = toMicros(settings.maxPositionNotional);
  }

  async ensureAccount(accountId: string): Promise<void> {
    await this.db.query('INSERT INTO accounts (id, initial_cash, cash, currency) VALUES ($1, $2, $2, $3) ON CONFLICT (id) DO NOTHING', [
      accountId,
      formatMicros(toMicros(this.settings.startingCash)),
      CURRENCY,
    ]);
  }

  /** The fee of a fill: the fixed part plus basis points of the notional. */
  fee(fillNotional: bigint): bigint {
    return this.feeFixed + divRound(fillNotional * this.feeBpsMicros, 10_000n * MICROS);
  }

  /** Slippage moves the price against the trade; a limit order never fills beyond its limit. */
  private fillPrice(side: 'buy' | 'sell', price: bigint, limit: bigint | null): bigint {
    const slip = divRound(price * this.slippageBpsMicros, 10_000n * MICROS);
    const slipped = side === 'buy' ? price + slip : price - slip;
    if (limit === null) return slipped;
    return side === 'buy' ? (slipped < limit ? slipped : limit) : slipped > limit ? slipped : limit;
  }

  /**
   * Places an order. Market orders fill at once at the current price moved against the trade by
   * the slippage; limit orders fill at once when marketable, else rest as `accepted` until a
   * price crosses them, reserving cash (buys) or shares (sells). An order that fails a pre-trade
   * check is recorded as `denied` with a reason code. With an idempotency key a retry with the
   * same request returns the original order (`replayed`); a different request under the same key
   * is an `idempotency_mismatch` error.
   */
  async placeOrder(accountId: string, input: PlaceOrder & { type: 'market' | 'limit' }, idempotencyKey?: string): Promise<{ order: Order; replayed: boolean }> {
    const quantity = toMicros(input.quantity);
    if (quantity <= 0n) throw new BrokerError('invalid', 'validation_failed', `quantity ${input.quantity} rounds to 0 at the broker's precision; it must be at least 0.000001`, 'quantity');
    const limitPrice = input.limitPrice === undefined ? null : toMicros(input.limitPrice);
    if (limitPrice !== null && limitPrice <= 0n) {
      throw new BrokerError('invalid', 'validation_failed', `limitPrice ${input.limitPrice} rounds to 0 at the broker's precision; it must be at least 0.000001`, 'limitPrice');
    }
    const quote = this.prices.price(input.symbol);
    if (!quote) throw new BrokerError('invalid', 'unknown_symbol', `symbol ${input.symbol} is not traded here`, 'symbol');
    const requestHash = createHash('sha256')
      .update(JSON.stringify([input.symbol, input.side, input.type, formatMicros(quantity), limitPrice === null ? null : formatMicros(limitPrice)]))
      .digest('hex');
    await this.ensureAccount(accountId);
    const result = await this.db.transaction(async (tx) => {
      const cash = await this.lockAccount(tx, accountId);
      if (idempotencyKey) {
        const [existing] = await tx.query(`SELECT ${orderColumns} FROM orders WHERE account_id = $1 AND idempotency_key = $2`, [accountId, idempotencyKey]);
        if (existing) {
          if (existing.request_hash && existing.request_hash !== requestHash) {
            throw new BrokerError(
              'idempotency_mismatch',
              'idempotency_key_reused',
              `idempotency key "${idempotencyKey}" was already used for a different order (${existing.id}); use a new key for a new order`,
              'Idempotency-Key',
            );
          }
          return { order: toOrder(toRecord(existing)), replayed: true };
        }
      }
      const now = new Date().toISOString();
      let order: OrderRecord = {
        id: randomUUID(), accountId, symbol: input.symbol, side: input.side, type: input.type, quantity, limitPrice,
        status: 'initialized', reasonCode: null, reason: null, filledQuantity: 0n, filledNotional: 0n, fees: 0n, fillCount: 0,
        reservedCash: 0n, reservedQuantity: 0n, createdAt: now, updatedAt: now,
      };
      const market = toMicros(quote.price);
      const marketable = input.type === 'market' || (input.side === 'buy' ? market <= limitPrice! : market >= limitPrice!);
      const price = marketable ? this.fillPrice(input.side, market, limitPrice) : limitPrice!;
      const position = await this.loadPosition(tx, accountId, order.symbol);
      const denial = await this.riskCheck(tx, order, cash, position, price);
      const journal: OrderJournalEntry[] = [];
      const apply = (event: OrderEvent, detail?: Parameters<typeof transition>[2]) => {
        const step = transition(order, event, detail);
        order = step.order;
        journal.push(step.entry);
      };
      if (denial) {
        apply('deny', { reasonCode: `denied_${denial.code}`, reason: denial.reason });
      } else {
        apply('accept');
        if (!marketable) Object.assign(order, this.reservation(order));
      }
      await tx.query(
        `INSERT INTO orders (id, account_id, idempotency_key, request_hash, symbol, side, type, quantity, limit_price, status, reason_code, reason,
           reserved_cash, reserved_quantity, currency, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)`,
        [
          order.id, accountId, idempotencyKey ?? null, requestHash, order.symbol, order.side, order.type, formatMicros(quantity),
          limitPrice === null ? null : formatMicros(limitPrice), order.status, order.reasonCode, order.reason,
          formatMicros(order.reservedCash), formatMicros(order.reservedQuantity), CURRENCY, now,
        ],
      );
      await this.journal(tx, accountId, journal);
      const events = !denial && marketable ? await this.fill(tx, order, cash, position, price, quote.time) : [{ channel: 'orders' as const, accountId, data: toOrder(order) }];
      await this.record(tx, events);
      return { order: (events.find((e) => e.channel === 'orders')!.data as Order), replayed: false };
    });
    if (!result.replayed) this.committed();
    return result;
  }

  private async loadPosition(tx: Queryable, accountId: string, symbol: string): Promise<PositionState> {
    const [row] = await tx.query(
      'SELECT quantity::text AS quantity, cost::text AS cost, realized_pnl::text AS realized_pnl FROM positions WHERE account_id = $1 AND symbol = $2',
      [accountId, symbol],
    );
    return row ? positionOf(row) : flat();
  }

  /** The account's cash, with its row locked for the rest of the transaction. */
  private async lockAccount(tx: Queryable, accountId: string): Promise<bigint> {
    const [account] = await tx.query('SELECT cash::text AS cash FROM accounts WHERE id = $1 FOR UPDATE', [accountId]);
    return parseMicros(account?.cash as string | undefined);
  }

  /**
   * What a resting order holds back: a buy the cash for its limit notional and fee; a sell its
   * shares, and the part of its fee its proceeds at the limit do not cover (a fixed fee on a tiny
   * sale). The limit is the worst price either fills at, so the reservation covers every fill.
   */
  private reservation(order: OrderRecord): { reservedCash: bigint; reservedQuantity: bigint } {
    const open = order.quantity - order.filledQuantity;
    const reservedCash = this.cashNeeded(order.side, notional(open, order.limitPrice!));
    return { reservedCash, reservedQuantity: order.side === 'sell' && !this.settings.allowShort ? open : 0n };
  }

  /** The cash a fill takes from the account: a buy's notional and fee, a sell's fee beyond its proceeds. */
  private cashNeeded(side: 'buy' | 'sell', fillNotional: bigint): bigint {
    const fee = this.fee(fillNotional);
    if (side === 'buy') return fillNotional + fee;
    return fee > fillNotional ? fee - fillNotional : 0n;
  }

  /**
   * Why an order may not trade at `price`, or undefined when it may. Cash and shares reserved by
   * the account's other open orders are not available to it.
   */
  private async riskCheck(tx: Queryable, order: OrderRecord, cash: bigint, position: PositionState, price: bigint): Promise<{ code: 'order_notional' | 'position_notional' | 'buying_power' | 'insufficient_position'; reason: string } | undefined> {
    const quantity = order.quantity - order.filledQuantity;
    const orderNotional = notional(quantity, price);
    if (this.maxOrderNotional > 0n && orderNotional > this.maxOrderNotional) {
      return { code: 'order_notional', reason: `order notional ${shown(orderNotional)} exceeds the limit of ${this.settings.maxOrderNotional}` };
    }
    const held = position.quantity;
    const [reserved] = await tx.query(
      `SELECT coalesce(sum(reserved_cash), 0)::text AS cash,
              coalesce(sum(CASE WHEN symbol = $3 THEN reserved_quantity ELSE 0 END), 0)::text AS quantity
       FROM orders WHERE account_id = $1 AND id <> $2 AND status IN ${orderStatusList}`,
      [order.accountId, order.id, order.symbol],
    );
    const available = cash - parseMicros(reserved.cash as string);
    const needed = this.cashNeeded(order.side, orderNotional);
    if (needed > available) return { code: 'buying_power', reason: `insufficient buying power: needs ${shown(needed)}, available ${shown(available)}` };
    if (order.side === 'sell' && !this.settings.allowShort) {
      const free = held - parseMicros(reserved.quantity as string);
      if (quantity > free) {
        return { code: 'insufficient_position', reason: `selling ${fromMicros(quantity)} ${order.symbol} but ${fromMicros(free)} of ${fromMicros(held)} held are free (short selling is not enabled)` };
      }
    }
    const after = held + (order.side === 'buy' ? quantity : -quantity);
    const afterNotional = notional(after < 0n ? -after : after, price);
    if (this.maxPositionNotional > 0n && afterNotional > this.maxPositionNotional) {
      return { code: 'position_notional', reason: `position notional ${shown(afterNotional)} would exceed the limit of ${this.settings.maxPositionNotional}` };
    }
    return undefined;
  }

  private async journal(tx: Queryable, accountId: string, entries: OrderJournalEntry[]) {
    for (const e of entries) {
      await tx.query(
        `INSERT INTO order_events (order_id, account_id, event, from_status, to_status, reason_code, reason, fill_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [e.orderId, accountId, e.event, e.from, e.to, e.reasonCode, e.reason, e.fillId],
      );
    }
  }

  private async record(tx: Queryable, events: BrokerEvent[]) {
    for (const event of events) await writeOutbox(tx, event);
  }

  /** Writes a status change of a stored order and its journal entry. */
  private async save(tx: Queryable, order: OrderRecord, entries: OrderJournalEntry[]) {
    await tx.query(
      `UPDATE orders SET status = $2, reason_code = $3, reason = $4, filled_quantity = $5, filled_notional = $6, fees = $7, fill_count = $8,
         reserved_cash = $9, reserved_quantity = $10, updated_at = $11 WHERE id = $1`,
      [
        order.id, order.status, order.reasonCode, order.reason, formatMicros(order.filledQuantity), formatMicros(order.filledNotional),
        formatMicros(order.fees), order.fillCount, formatMicros(order.reservedCash), formatMicros(order.reservedQuantity), order.updatedAt,
      ],
    );
    await this.journal(tx, order.accountId, entries);
  }

  /**
   * Fills the open quantity of an order inside the caller's transaction: fill row (its id derived
   * from the order and the fill's number), cash, fees paid, position, order and journal, equity point.
   */
  private async fill(tx: Queryable, order: OrderRecord, cash: bigint, before: PositionState, price: bigint, time: number): Promise<BrokerEvent[]> {
    const { accountId, symbol, side } = order;
    const quantity = order.quantity - order.filledQuantity;
    const fillNotional = notional(quantity, price);
    const fee = this.fee(fillNotional);
    const fillNumber = order.fillCount + 1;
    const id = fillId(order.id, fillNumber);
    const inserted = await tx.query(
      `INSERT INTO fills (id, order_id, account_id, symbol, side, quantity, price, fee, time, fill_number) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [id, order.id, accountId, symbol, side, formatMicros(quantity), formatMicros(price), formatMicros(fee), time, fillNumber],
    );
    if (!inserted.length) return []; // this fill is already recorded: applying it again would count it twice
    const cashAfter = cashAfterFill(cash, side, quantity, price, fee);
    await tx.query('UPDATE accounts SET cash = $2, fees_paid = fees_paid + $3 WHERE id = $1', [accountId, formatMicros(cashAfter), formatMicros(fee)]);
    const after = applyFill(before, side, quantity, price, fee);
    await tx.query(
      `INSERT INTO positions (account_id, symbol, quantity, cost, realized_pnl) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (account_id, symbol) DO UPDATE SET quantity = $3, cost = $4, realized_pnl = $5`,
      [accountId, symbol, formatMicros(after.quantity), formatMicros(after.cost), formatMicros(after.realizedPnl)],
    );
    const filledQuantity = order.filledQuantity + quantity;
    const step = transition(order, filledQuantity === order.quantity ? 'fill' : 'partial_fill', { fillId: id });
    const filled: OrderRecord = {
      ...step.order,
      filledQuantity,
      filledNotional: order.filledNotional + fillNotional,
      fees: order.fees + fee,
      fillCount: fillNumber,
      reservedCash: 0n,
      reservedQuantity: 0n,
      updatedAt: new Date().toISOString(),
    };
    await this.save(tx, filled, [step.entry]);
    await tx.query('INSERT INTO equity_history (account_id, time, equity) VALUES ($1, $2, $3)', [accountId, Date.now(), formatMicros(await this.equityOf(tx, accountId, cashAfter))]);
    const fill: Fill = { id, orderId: order.id, accountId, symbol, side, quantity: fromMicros(quantity), price: fromMicros(price), fee: fromMicros(fee), currency: CURRENCY, time };
    return [
      { channel: 'orders', accountId, data: toOrder(filled) },
      { channel: 'fills', accountId, data: fill },
    ];
  }

  /** The market price of a symbol in micro-units, or undefined when it has none. */
  private marketPrice(symbol: string): bigint | undefined {
    const quote = this.prices.price(symbol);
    return quote ? toMicros(quote.price) : undefined;
  }

  /** Cash plus the market value of every position (a position without a price counts at cost). */
  private async equityOf(q: Queryable, accountId: string, cash: bigint): Promise<bigint> {
    const rows = await q.query('SELECT symbol, quantity::text AS quantity, cost::text AS cost, realized_pnl::text AS realized_pnl FROM positions WHERE account_id = $1', [accountId]);
    return rows.reduce((sum, r) => sum + this.marketValue(String(r.symbol), positionOf(r)), cash);
  }

  private marketValue(symbol: string, position: PositionState): bigint {
    const price = this.marketPrice(symbol);
    return price === undefined ? position.cost : notional(position.quantity, price);
  }

  /** Fills every open limit order of a symbol that the current price crosses. */
  async matchRestingOrders(symbol: string): Promise<number> {
    const quote = this.prices.price(symbol);
    if (!quote) return 0;
    const market = formatMicros(toMicros(quote.price));
    const candidates = await this.db.query(
      `SELECT id, account_id FROM orders WHERE status IN ${orderStatusList} AND symbol = $1 AND
        ((side = 'buy' AND limit_price >= $2) OR (side = 'sell' AND limit_price <= $2)) ORDER BY created_at, id`,
      [symbol, market],
    );
    let filled = 0;
    for (const candidate of candidates) {
      const accountId = String(candidate.account_id);
      const order = await this.db.transaction(async (tx) => {
        const cash = await this.lockAccount(tx, accountId);
        const [row] = await tx.query(`SELECT ${orderColumns} FROM orders WHERE id = $1 AND status IN ${orderStatusList}`, [candidate.id]);
        if (!row) return undefined; // cancelled meanwhile
        const resting = toRecord(row);
        const price = this.fillPrice(resting.side, toMicros(quote.price), resting.limitPrice);
        const position = await this.loadPosition(tx, accountId, resting.symbol);
        const refusal = await this.riskCheck(tx, resting, cash, position, price);
        let events: BrokerEvent[];
        if (refusal) {
          const step = transition(resting, 'reject', { reasonCode: `rejected_${refusal.code}`, reason: refusal.reason });
          const rejected = { ...step.order, reservedCash: 0n, reservedQuantity: 0n, updatedAt: new Date().toISOString() };
          await this.save(tx, rejected, [step.entry]);
          events = [{ channel: 'orders', accountId, data: toOrder(rejected) }];
        } else {
          events = await this.fill(tx, resting, cash, position, price, quote.time);
        }
        await this.record(tx, events);
        return events.find((e) => e.channel === 'orders')?.data as Order | undefined;
      });
      if (order) {
        this.committed();
        if (order.status === 'filled') filled++;
      }
    }
    return filled;
  }

  /** Cancels an open order; cancelling an order in any other status is an illegal transition. */
  async cancelOrder(accountId: string, orderId: string): Promise<Order> {
    const result = await this.db.transaction(async (tx) => {
      await this.lockAccount(tx, accountId);
      const [row] = await tx.query(`SELECT ${orderColumns} FROM orders WHERE id = $1 AND account_id = $2`, [orderId, accountId]);
      if (!row) throw new BrokerError('not_found', 'not_found', `no order ${orderId} in account ${accountId}`);
      const step = transition(toRecord(row), 'cancel', { reasonCode: 'cancelled_by_account', reason: 'cancelled by the account' });
      const cancelled = { ...step.order, reservedCash: 0n, reservedQuantity: 0n, updatedAt: new Date().toISOString() };
      await this.save(tx, cancelled, [step.entry]);
      const order = toOrder(cancelled);
      await this.record(tx, [{ channel: 'orders', accountId, data: order }]);
      return order;
    });
    this.committed();
    return result;
  }

  async getOrder(accountId: string, orderId: string): Promise<Order> {
    const [row] = await this.db.query(`SELECT ${orderColumns} FROM orders WHERE id = $1 AND account_id = $2`, [orderId, accountId]);
    if (!row) throw new BrokerError('not_found', 'not_found', `no order ${orderId} in account ${accountId}`);
    return toOrder(toRecord(row));
  }

  /** The journal of one order: every status change in the order it happened, with its time. */
  async orderEvents(accountId: string, orderId: string): Promise<(OrderJournalEntry & { createdAt: string })[]> {
    await this.getOrder(accountId, orderId);
    const rows = await this.db.query(
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

  async listOrders(accountId: string, query: OrdersQuery = {}): Promise<Order[]> {
    const rows = await this.db.query(
      `SELECT ${orderColumns} FROM orders WHERE account_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR symbol = $3)
       ORDER BY created_at DESC, id LIMIT $4`,
      [accountId, query.status ?? null, query.symbol ?? null, query.limit ?? 100],
    );
    return rows.map((r) => toOrder(toRecord(r)));
  }

  async portfolio(accountId: string): Promise<Portfolio> {
    const [account] = await this.db.query('SELECT initial_cash::text AS initial_cash, cash::text AS cash, fees_paid::text AS fees_paid FROM accounts WHERE id = $1', [accountId]);
    if (!account) throw new BrokerError('not_found', 'not_found', `no paper account ${accountId}`);
    const rows = await this.db.query(
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
      const marketPrice = this.marketPrice(symbol) ?? averagePrice(position);
      const marketValue = notional(position.quantity, marketPrice);
      positionsValue += marketValue;
      unrealized += marketValue - position.cost;
      positions.push({
        symbol,
        quantity: fromMicros(position.quantity),
        avgPrice: fromMicros(averagePrice(position)),
        costBasis: fromMicros(position.cost),
        marketPrice: fromMicros(marketPrice),
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

  async equityHistory(accountId: string, limit = 1000): Promise<{ time: number; equity: number }[]> {
    const rows = await this.db.query(
      'SELECT time, equity::float8 AS equity FROM (SELECT time, equity, seq FROM equity_history WHERE account_id = $1 ORDER BY seq DESC LIMIT $2) t ORDER BY seq',
      [accountId, limit],
    );
    return rows.map((r) => ({ time: Number(r.time), equity: Number(r.equity) }));
  }

  /** Cash, fees paid and positions recomputed from the account's fills alone, in the order they happened. */
  async recompute(accountId: string): Promise<LedgerState> {
    const [account] = await this.db.query('SELECT initial_cash::text AS initial_cash FROM accounts WHERE id = $1', [accountId]);
    const fills = await this.db.query(
      'SELECT symbol, side, quantity::text AS quantity, price::text AS price, fee::text AS fee FROM fills WHERE account_id = $1 ORDER BY seq',
      [accountId],
    );
    let cash = account ? parseMicros(account.initial_cash as string) : toMicros(this.settings.startingCash);
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
  async storedState(accountId: string): Promise<LedgerState> {
    const [account] = await this.db.query('SELECT cash::text AS cash, fees_paid::text AS fees_paid FROM accounts WHERE id = $1', [accountId]);
    const rows = await this.db.query('SELECT symbol, quantity::text AS quantity, cost::text AS cost, realized_pnl::text AS realized_pnl FROM positions WHERE account_id = $1', [accountId]);
    return {
      cash: account ? parseMicros(account.cash as string) : toMicros(this.settings.startingCash),
      feesPaid: parseMicros(account?.fees_paid as string | undefined),
      positions: Object.fromEntries(rows.map((r) => [String(r.symbol), positionOf(r)])),
    };
  }
}

export interface LedgerState {
  cash: bigint;
  feesPaid: bigint;
  positions: Record<string, PositionState>;
}

function positionOf(r: Row): PositionState {
  return { quantity: parseMicros(r.quantity as string), cost: parseMicros(r.cost as string), realizedPnl: parseMicros(r.realized_pnl as string) };
}
