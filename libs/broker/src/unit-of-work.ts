import { outboxStatement, type Queryable, type Row } from '@tradeyard/persistence';
import { formatMicros, formatMicrosSquared, parseMicros, parseMicrosSquared } from '@tradeyard/money';
import { flat, openStatuses, type EngineOrder, type PositionState, type OrderJournalEntry, type OrderStatus, type ReasonCode, type TimeInForce } from '@tradeyard/fill-engine';
import { accountConfigSchema, anyProtection, protectionsOf, type AccountConfig } from './protections';
import { DEFAULT_MARKET } from '@tradeyard/gateway-contract';

/** An order as the broker holds it: amounts in micro-units. */
export interface OrderRecord extends EngineOrder {
  /** Stored with every order (orders.filled_value), so always known here. */
  filledValue: bigint;
  accountId: string;
  symbol: string;
  /** Bracket: the prices of the exit orders the fill of this entry places, and a child's entry. */
  takeProfitPrice: bigint | null;
  stopLossPrice: bigint | null;
  parentId: string | null;
  goodTillDate: number | null;
  ocoGroupId: string | null;
  reservedCash: bigint;
  reservedQuantity: bigint;
  createdAt: string;
  updatedAt: string;
}

/** An account row locked for the transaction: its cash, its settings and the state its protections keep. */
export interface LockedAccount {
  id: string;
  initialCash: bigint;
  cash: bigint;
  config: AccountConfig;
  /** The market it trades in: its prices value the account and fill its orders. */
  market: string;
  allowShort: boolean;
  dayNumber: number | null;
  dayStartEquity: bigint;
  losingStreak: number;
  cooldownUntil: number;
}

/** A position with the market time it was opened at (for the borrow fee of a short). */
export type HeldPosition = PositionState & { openedAt: number | null };

export const orderColumns = `id, account_id, symbol, side, type, quantity::text AS quantity, limit_price::text AS limit_price, status, reason_code, reason,
  filled_quantity::text AS filled_quantity, filled_notional::text AS filled_notional, filled_value::text AS filled_value, fees::text AS fees, fill_count,
  reserved_cash::text AS reserved_cash, reserved_quantity::text AS reserved_quantity, request_hash, created_at, updated_at,
  time_in_force, stop_price::text AS stop_price, trail_amount::text AS trail_amount, trail_percent::text AS trail_percent,
  trail_anchor::text AS trail_anchor, triggered, arrival_time, evaluated_through,
  take_profit_price::text AS take_profit_price, stop_loss_price::text AS stop_loss_price, parent_id, good_till_date, oco_group_id`;
export const orderStatusList = `(${openStatuses.map((s) => `'${s}'`).join(', ')})`;

const optionalMicros = (v: unknown) => (v === null || v === undefined ? null : parseMicros(v as string));
const optionalTime = (v: unknown) => (v === null || v === undefined ? null : Number(v));
export const optionalText = (v: bigint | null) => (v === null ? null : formatMicros(v));
export const iso = (v: unknown) => (v instanceof Date ? v : new Date(String(v))).toISOString();

export function toRecord(r: Row): OrderRecord {
  return {
    id: String(r.id),
    accountId: String(r.account_id),
    symbol: String(r.symbol),
    side: r.side as OrderRecord['side'],
    type: r.type as OrderRecord['type'],
    timeInForce: r.time_in_force as TimeInForce,
    quantity: parseMicros(r.quantity as string),
    limitPrice: optionalMicros(r.limit_price),
    stopPrice: optionalMicros(r.stop_price),
    trailAmount: optionalMicros(r.trail_amount),
    trailPercent: optionalMicros(r.trail_percent),
    trailAnchor: optionalMicros(r.trail_anchor),
    triggered: r.triggered === true,
    arrivalTime: optionalTime(r.arrival_time),
    evaluatedThrough: optionalTime(r.evaluated_through),
    takeProfitPrice: optionalMicros(r.take_profit_price),
    stopLossPrice: optionalMicros(r.stop_loss_price),
    parentId: r.parent_id === null || r.parent_id === undefined ? null : String(r.parent_id),
    goodTillDate: optionalTime(r.good_till_date),
    ocoGroupId: r.oco_group_id === null || r.oco_group_id === undefined ? null : String(r.oco_group_id),
    status: r.status as OrderStatus,
    reasonCode: (r.reason_code as ReasonCode | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    filledQuantity: parseMicros(r.filled_quantity as string),
    filledNotional: parseMicros(r.filled_notional as string),
    filledValue: parseMicrosSquared(r.filled_value as string),
    fees: parseMicros(r.fees as string),
    fillCount: Number(r.fill_count),
    reservedCash: parseMicros(r.reserved_cash as string),
    reservedQuantity: parseMicros(r.reserved_quantity as string),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export function positionOf(r: Row): PositionState {
  return { quantity: parseMicros(r.quantity as string), cost: parseMicros(r.cost as string), realizedPnl: parseMicros(r.realized_pnl as string) };
}

/**
 * The group an order is linked in, whose orders trade one at most and so reserve once: a bracket
 * exit's entry, or a one-cancels-other group; null for an order alone.
 */
export const linkOf = (o: { parentId: string | null; ocoGroupId: string | null }): string | null => o.parentId ?? o.ocoGroupId;

/** What the open orders of one symbol and one linked group (or of none) hold back from the rest of their account. */
interface Reservation {
  symbol: string;
  linkId: string | null;
  cash: bigint;
  quantity: bigint;
}
const reservationKey = (o: { symbol: string; linkId: string | null }) => `${o.symbol}\u0000${o.linkId ?? ''}`;
const holds = (o: OrderRecord) => openStatuses.includes(o.status) && (o.reservedCash > 0n || o.reservedQuantity > 0n);

/**
 * One account inside a transaction: its row locked, and (when the transaction trades) its
 * positions, the reservations of its open orders and its equity peak, read once and then kept
 * up to date in memory by every change the transaction makes, so several orders of the account
 * can be checked and applied one after another without reading the database again.
 */
export class AccountBook {
  /** Fees paid in this transaction, added to the stored total when it is written. */
  feesPaid = 0n;
  /** Whether the account row (cash, fees, protection state) changed. */
  changed = false;
  readonly changedPositions = new Set<string>();

  constructor(
    readonly account: LockedAccount,
    private readonly positions: Map<string, HeldPosition>,
    private readonly reservations: Map<string, Reservation>,
    /** The highest equity recorded at a fill (the drawdown protection's peak). */
    public peakEquity: bigint,
  ) {}

  position(symbol: string): HeldPosition {
    return this.positions.get(symbol) ?? { ...flat(), openedAt: null };
  }

  setPosition(symbol: string, position: HeldPosition) {
    this.positions.set(symbol, position);
    this.changedPositions.add(symbol);
  }

  /** Every position row of the account (closed ones included, as the positions table has them). */
  allPositions(): [string, HeldPosition][] {
    return [...this.positions];
  }

  /**
   * Cash and shares of `symbol` reserved by the account's open orders other than `order` and,
   * for a linked order (a bracket exit, an order of a one-cancels-other group), the rest of its
   * group (a group reserves once).
   */
  reservedBesides(order: OrderRecord): { cash: bigint; quantity: bigint } {
    const link = linkOf(order);
    let cash = 0n;
    let quantity = 0n;
    for (const r of this.reservations.values()) {
      if (link !== null && r.linkId === link) continue;
      cash += r.cash;
      if (r.symbol === order.symbol) quantity += r.quantity;
    }
    // A stored open order alone is in its symbol's total: take its own share out.
    if (link === null && holds(order)) return { cash: cash - order.reservedCash, quantity: quantity - order.reservedQuantity };
    return { cash, quantity };
  }

  /** Keeps the reservation totals current when an order changes from `before` (undefined: new) to `after`. */
  track(before: OrderRecord | undefined, after: OrderRecord) {
    for (const [order, sign] of [[before, -1n], [after, 1n]] as const) {
      if (!order || !holds(order)) continue;
      const key = reservationKey({ symbol: order.symbol, linkId: linkOf(order) });
      const total = this.reservations.get(key) ?? { symbol: order.symbol, linkId: linkOf(order), cash: 0n, quantity: 0n };
      this.reservations.set(key, { ...total, cash: total.cash + sign * order.reservedCash, quantity: total.quantity + sign * order.reservedQuantity });
    }
  }
}

/** An order found by its idempotency key, with the hash of the request that created it. */
export interface KeyedOrder {
  order: OrderRecord;
  requestHash: string | null;
}

export interface OpenOptions {
  /** Accounts to lock (any order; they are locked sorted by id, so replicas never deadlock on them). */
  accounts: string[];
  /** Creates missing accounts with this starting cash (placements); unset, a missing account reads as empty. */
  startingCash?: string;
  /** The operator's short-selling policy: false forbids shorts whatever an account set; true lets an account opt out. */
  allowShort: boolean;
  /** Reads positions, reservations and equity peaks: needed by anything that checks or applies a fill. */
  trading: boolean;
  /** (account, idempotency key) pairs whose orders to read. */
  keys?: [string, string][];
  /** Orders to read by id. */
  orderIds?: string[];
}

const key = (accountId: string, idempotencyKey: string) => `${accountId}\u0000${idempotencyKey}`;

interface Statement {
  sql: string;
  params: unknown[];
}

/**
 * `INSERT INTO table (columns)` of any number of rows in one statement of fixed text: the rows go
 * as one JSON parameter (objects keyed by column) that PostgreSQL reads with the table's own
 * column types, which costs far less on both sides than one array parameter per column.
 */
function insertRows(table: string, columns: string[], rows: Row[], suffix = ''): Statement {
  return { sql: `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM json_populate_recordset(null::${table}, $1::json) ${suffix}`, params: [JSON.stringify(rows)] };
}

/** `UPDATE table SET columns` of any number of rows keyed by `key`, as insertRows; `set` overrides a column's expression. */
function updateRows(table: string, key: string, columns: string[], rows: Row[], set: Record<string, string> = {}): Statement {
  const assignments = columns.map((n) => `${n} = ${set[n] ?? `v.${n}`}`);
  return { sql: `UPDATE ${table} t SET ${assignments.join(', ')} FROM json_populate_recordset(null::${table}, $1::json) v WHERE t.${key} = v.${key}`, params: [JSON.stringify(rows)] };
}

/**
 * Several writes as one statement (data-modifying CTEs), so a transaction's writes cost one
 * round trip. They must not touch the same row twice: the unit of work keeps one final version
 * of each order, account and position.
 */
function combine(statements: (Statement & { name: string })[], result: string): Statement {
  let offset = 0;
  const parts = statements.map((s) => {
    const shifted = s.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
    offset += s.params.length;
    return `${s.name} AS (${shifted})`;
  });
  return { sql: `WITH ${parts.join(',\n')} SELECT ${result}`, params: statements.flatMap((s) => s.params) };
}

/** The columns of an order that change after it is created. */
const orderState = (o: OrderRecord) => ({
  status: o.status, reason_code: o.reasonCode, reason: o.reason, filled_quantity: formatMicros(o.filledQuantity), filled_notional: formatMicros(o.filledNotional),
  filled_value: formatMicrosSquared(o.filledValue),
  fees: formatMicros(o.fees), fill_count: o.fillCount, reserved_cash: formatMicros(o.reservedCash), reserved_quantity: formatMicros(o.reservedQuantity),
  updated_at: o.updatedAt, stop_price: optionalText(o.stopPrice), trail_anchor: optionalText(o.trailAnchor), triggered: o.triggered, arrival_time: o.arrivalTime,
  evaluated_through: o.evaluatedThrough,
});

export interface FillRow {
  id: string;
  order: OrderRecord;
  quantity: bigint;
  price: bigint;
  fee: bigint;
  time: number;
  fillNumber: number;
}

/**
 * A broker transaction as a unit of work: it locks the accounts it touches and reads their
 * state once (`open`), the broker's logic reads and changes that state in memory, and `flush`
 * writes the outcome — every new and changed order, journal entry, fill, account, position,
 * equity point and outbox event — in one statement. A placement costs the same few round trips
 * whether the transaction carries one order or a batch of them.
 */
export class UnitOfWork {
  private readonly books = new Map<string, AccountBook>();
  private readonly created = new Map<string, { order: OrderRecord; idempotencyKey: string | null; requestHash: string | null }>();
  private readonly updated = new Map<string, OrderRecord>();
  private readonly keyed = new Map<string, KeyedOrder>();
  private readonly read = new Map<string, OrderRecord>();
  private readonly journal: OrderJournalEntry[] = [];
  private readonly fills: FillRow[] = [];
  private readonly equity: [string, number, string][] = [];
  private readonly events: unknown[] = [];

  private constructor(readonly tx: Queryable) {}

  static async open(tx: Queryable, options: OpenOptions): Promise<UnitOfWork> {
    const work = new UnitOfWork(tx);
    const ids = [...new Set(options.accounts)].sort();
    const lockSql = `SELECT id, market_id, initial_cash::text AS initial_cash, cash::text AS cash, config, day_number, day_start_equity::text AS day_start_equity, losing_streak, cooldown_until
       FROM accounts WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`;
    const rows = await tx.query(lockSql, [ids], { prepare: true });
    const missing = ids.filter((id) => !rows.some((r) => r.id === id));
    if (missing.length && options.startingCash !== undefined) {
      await tx.query(`INSERT INTO accounts (id, initial_cash, cash, currency) SELECT id, $2, $2, 'USD' FROM unnest($1::text[]) AS id ON CONFLICT (id) DO NOTHING`, [missing, options.startingCash]);
      rows.push(...(await tx.query(lockSql, [missing], { prepare: true })));
    }
    const accounts = new Map(ids.map((id) => [id, lockedAccount(id, rows.find((r) => r.id === id), options.allowShort)]));
    const positions = new Map(ids.map((id) => [id, new Map<string, HeldPosition>()]));
    const reservations = new Map(ids.map((id) => [id, new Map<string, Reservation>()]));
    const peaks = new Map<string, bigint>();
    const pairs = options.keys ?? [];
    const orderIds = options.orderIds ?? [];
    if (options.trading || pairs.length || orderIds.length) {
      // One round trip for everything the transaction reads after its locks; amounts as text, so no float touches them.
      const protectionsOn = [...accounts.values()].some((a) => anyProtection(protectionsOf(a.config)));
      const [state] = await tx.query(
        `SELECT
          CASE WHEN $4 THEN (SELECT json_agg(json_build_object('account_id', account_id, 'symbol', symbol, 'quantity', quantity::text, 'cost', cost::text,
            'realized_pnl', realized_pnl::text, 'opened_at', opened_at)) FROM positions WHERE account_id = ANY($1::text[])) END AS positions,
          CASE WHEN $4 THEN (SELECT json_agg(json_build_object('account_id', account_id, 'symbol', symbol, 'link_id', link_id, 'cash', cash, 'quantity', quantity))
            FROM (SELECT account_id, symbol, coalesce(parent_id, oco_group_id) AS link_id, sum(reserved_cash)::text AS cash, sum(reserved_quantity)::text AS quantity FROM orders
            WHERE account_id = ANY($1::text[]) AND status IN ${orderStatusList} AND (reserved_cash > 0 OR reserved_quantity > 0)
            GROUP BY account_id, symbol, coalesce(parent_id, oco_group_id)) r) END AS reservations,
          CASE WHEN $4 AND $5 THEN (SELECT json_agg(json_build_object('account_id', account_id, 'peak', peak)) FROM
            (SELECT account_id, max(equity)::text AS peak FROM equity_history WHERE account_id = ANY($1::text[]) GROUP BY account_id) p) END AS peaks,
          (SELECT json_agg(row_to_json(o)) FROM (
            SELECT ${orderColumns}, idempotency_key FROM orders WHERE (account_id, idempotency_key) IN (SELECT * FROM unnest($2::text[], $3::text[]))
            UNION ALL SELECT ${orderColumns}, idempotency_key FROM orders WHERE id = ANY($6::uuid[])) o) AS orders`,
        [ids, pairs.map((p) => p[0]), pairs.map((p) => p[1]), options.trading, protectionsOn, orderIds],
        { prepare: true },
      );
      for (const p of (state.positions ?? []) as Row[]) {
        positions.get(String(p.account_id))!.set(String(p.symbol), { ...positionOf(p), openedAt: p.opened_at === null ? null : Number(p.opened_at) });
      }
      for (const r of (state.reservations ?? []) as Row[]) {
        const reservation = { symbol: String(r.symbol), linkId: r.link_id === null ? null : String(r.link_id), cash: parseMicros(r.cash as string), quantity: parseMicros(r.quantity as string) };
        reservations.get(String(r.account_id))!.set(reservationKey(reservation), reservation);
      }
      for (const p of (state.peaks ?? []) as Row[]) peaks.set(String(p.account_id), parseMicros(p.peak as string));
      for (const row of (state.orders ?? []) as Row[]) {
        const order = toRecord(row);
        work.read.set(order.id, order);
        if (row.idempotency_key !== null) work.keyed.set(key(order.accountId, String(row.idempotency_key)), { order, requestHash: (row.request_hash as string | null) ?? null });
      }
    }
    for (const id of ids) work.books.set(id, new AccountBook(accounts.get(id)!, positions.get(id)!, reservations.get(id)!, peaks.get(id) ?? 0n));
    return work;
  }

  book(accountId: string): AccountBook {
    const book = this.books.get(accountId);
    if (!book) throw new Error(`account ${accountId} is not part of this unit of work`);
    return book;
  }

  /** The order with this idempotency key in its latest state (read at open, or placed in this transaction). */
  keyedOrder(accountId: string, idempotencyKey: string): KeyedOrder | undefined {
    const found = this.keyed.get(key(accountId, idempotencyKey));
    return found && { ...found, order: this.latest(found.order) };
  }

  /** An order read at open, by id, in its latest state. */
  order(id: string): OrderRecord | undefined {
    const found = this.read.get(id);
    return found && this.latest(found);
  }

  /** An order as this transaction last wrote it, else as given (read from the database, and remembered as read). */
  latest(order: OrderRecord): OrderRecord {
    if (!this.read.has(order.id) && !this.created.has(order.id)) this.read.set(order.id, order);
    return this.created.get(order.id)?.order ?? this.updated.get(order.id) ?? this.read.get(order.id)!;
  }

  /**
   * The other open orders linked with `order` (its bracket's other exits, the rest of its
   * one-cancels-other group), in their latest state: those stored and those created in this
   * transaction.
   */
  async linkedOrders(order: OrderRecord): Promise<OrderRecord[]> {
    const link = linkOf(order);
    if (link === null) return [];
    const rows = await this.tx.query(`SELECT ${orderColumns} FROM orders WHERE (parent_id = $1 OR oco_group_id = $1) AND id <> $2 AND status IN ${orderStatusList}`, [link, order.id]);
    const linked = new Map(rows.map((row) => [String(row.id), this.latest(toRecord(row))]));
    for (const { order: created } of this.created.values()) if (created.id !== order.id && linkOf(created) === link) linked.set(created.id, created);
    return [...linked.values()].filter((o) => openStatuses.includes(o.status));
  }

  /** A new order, as its first status, with its journal entries. */
  insertOrder(order: OrderRecord, journal: OrderJournalEntry[], idempotencyKey: string | null, requestHash: string | null) {
    this.created.set(order.id, { order, idempotencyKey, requestHash });
    if (idempotencyKey !== null) this.keyed.set(key(order.accountId, idempotencyKey), { order, requestHash });
    this.journal.push(...journal);
    this.books.get(order.accountId)?.track(undefined, order);
  }

  /** An order's new state (status, fills, reservations, trigger state) and its journal entries. */
  save(order: OrderRecord, journal: OrderJournalEntry[]) {
    const before = this.created.get(order.id)?.order ?? this.updated.get(order.id) ?? this.read.get(order.id);
    if (!before) throw new Error(`order ${order.id} was neither read nor created in this unit of work`);
    const created = this.created.get(order.id);
    if (created) created.order = order;
    else this.updated.set(order.id, order);
    this.journal.push(...journal);
    this.books.get(order.accountId)?.track(before, order);
  }

  addFill(fill: FillRow) {
    this.fills.push(fill);
  }

  addEquityPoint(book: AccountBook, time: number, equity: bigint) {
    this.equity.push([book.account.id, time, formatMicros(equity)]);
    if (equity > book.peakEquity) book.peakEquity = equity;
  }

  publish(events: unknown[]) {
    this.events.push(...events);
  }

  /** Writes everything in one statement. Throws (so the transaction rolls back) when a fill was already recorded. */
  async flush(): Promise<void> {
    const statements: (Statement & { name: string })[] = [];
    const add = (name: string, rows: Row[], make: (rows: Row[]) => Statement) => rows.length && statements.push({ name, ...make(rows) });
    const created = [...this.created.values()].map(({ order: o, idempotencyKey, requestHash }) => ({
      id: o.id, account_id: o.accountId, idempotency_key: idempotencyKey, request_hash: requestHash, symbol: o.symbol, side: o.side, type: o.type,
      quantity: formatMicros(o.quantity), limit_price: optionalText(o.limitPrice), currency: 'USD', created_at: o.createdAt, time_in_force: o.timeInForce,
      trail_amount: optionalText(o.trailAmount), trail_percent: optionalText(o.trailPercent), take_profit_price: optionalText(o.takeProfitPrice),
      stop_loss_price: optionalText(o.stopLossPrice), parent_id: o.parentId, good_till_date: o.goodTillDate, oco_group_id: o.ocoGroupId, ...orderState(o),
    }));
    add('new_orders', created, (rows) => insertRows('orders', Object.keys(rows[0]), rows));
    add('changed_orders', [...this.updated.values()].map((o) => ({ id: o.id, ...orderState(o) })), (rows) => updateRows('orders', 'id', Object.keys(rows[0]).slice(1), rows));
    add('journal', this.journal.map((e) => ({
      order_id: e.orderId, account_id: this.accountOf(e.orderId), event: e.event, from_status: e.from, to_status: e.to, reason_code: e.reasonCode, reason: e.reason, fill_id: e.fillId,
    })), (rows) => insertRows('order_events', Object.keys(rows[0]), rows));
    add('new_fills', this.fills.map((f) => ({
      id: f.id, order_id: f.order.id, account_id: f.order.accountId, symbol: f.order.symbol, side: f.order.side, quantity: formatMicros(f.quantity),
      price: formatMicros(f.price), fee: formatMicros(f.fee), time: f.time, fill_number: f.fillNumber,
    })), (rows) => insertRows('fills', Object.keys(rows[0]), rows, 'ON CONFLICT (id) DO NOTHING RETURNING id'));
    const books = [...this.books.values()];
    add('account_rows', books.filter((b) => b.changed).map(({ account: a, feesPaid }) => ({
      id: a.id, cash: formatMicros(a.cash), fees_paid: formatMicros(feesPaid), day_number: a.dayNumber, day_start_equity: a.dayNumber === null ? null : formatMicros(a.dayStartEquity),
      losing_streak: a.losingStreak, cooldown_until: a.cooldownUntil,
    })), (rows) => updateRows('accounts', 'id', Object.keys(rows[0]).slice(1), rows, { fees_paid: 't.fees_paid + v.fees_paid' }));
    add('position_rows', books.flatMap((b) => [...b.changedPositions].map((symbol) => {
      const p = b.position(symbol);
      return { account_id: b.account.id, symbol, quantity: formatMicros(p.quantity), cost: formatMicros(p.cost), realized_pnl: formatMicros(p.realizedPnl), opened_at: p.openedAt };
    })), (rows) => insertRows('positions', Object.keys(rows[0]), rows,
      'ON CONFLICT (account_id, symbol) DO UPDATE SET quantity = EXCLUDED.quantity, cost = EXCLUDED.cost, realized_pnl = EXCLUDED.realized_pnl, opened_at = EXCLUDED.opened_at'));
    add('equity_points', this.equity.map(([account_id, time, equity]) => ({ account_id, time, equity })), (rows) => insertRows('equity_history', Object.keys(rows[0]), rows));
    if (this.events.length) statements.push({ name: 'events', ...outboxStatement(this.events) });
    if (!statements.length) return;
    const write = combine(statements, this.fills.length ? '(SELECT count(*) FROM new_fills)::int AS fills' : '0 AS fills');
    const [written] = await this.tx.query(write.sql, write.params, { prepare: true });
    // A fill id is derived from its order and number, and the order's fill count is stored with
    // it: a conflict means the stored state is not what this transaction read. Nothing is kept.
    if (Number(written.fills) !== this.fills.length) throw new Error(`a fill of this transaction was already recorded (${this.fills.length - Number(written.fills)} of ${this.fills.length}); nothing was written`);
  }

  /** Whether the flush writes events to publish (the broker nudges the relay after the commit). */
  get publishes(): boolean {
    return this.events.length > 0;
  }

  private accountOf(orderId: string): string {
    return (this.created.get(orderId)?.order ?? this.updated.get(orderId) ?? this.read.get(orderId))!.accountId;
  }
}

function lockedAccount(id: string, row: Row | undefined, allowShort: boolean): LockedAccount {
  const config = accountConfigSchema.parse(typeof row?.config === 'string' ? JSON.parse(row.config) : (row?.config ?? {}));
  return {
    id,
    initialCash: parseMicros(row?.initial_cash as string | undefined),
    cash: parseMicros(row?.cash as string | undefined),
    config,
    market: row?.market_id === undefined ? DEFAULT_MARKET : String(row.market_id),
    // An account's allowShort may narrow the operator's policy, never widen it (one stored before the policy won included).
    allowShort: allowShort && (config.allowShort ?? true),
    dayNumber: row?.day_number === null || row?.day_number === undefined ? null : Number(row.day_number),
    dayStartEquity: parseMicros(row?.day_start_equity as string | null | undefined),
    losingStreak: Number(row?.losing_streak ?? 0),
    cooldownUntil: Number(row?.cooldown_until ?? 0),
  };
}
