import type { Fill, OcoGroup, Order, OrdersQuery, PlaceOrder, Portfolio } from '@tradeyard/gateway-contract';
import { isConnectionError, type Database } from '@tradeyard/persistence';
import { DependencyUnavailableError } from '@tradeyard/runtime-util';
import { createHash, randomUUID } from 'node:crypto';
import { applyFill, cashAfterFill } from './ledger';
import { divRound, formatMicros, fromMicros, toMicros } from '@tradeyard/money';
import { protectionsOf, type AccountConfig } from './protections';
import { GroupCommit, type Outcome } from './group-commit';
import { orderColumns, orderStatusList, toRecord, UnitOfWork, type AccountBook, type HeldPosition, type OrderRecord } from './unit-of-work';
import { arrive, borrowFee, BrokerError, endsGroup, matchBar, openStatuses, orderIdFor, quoteBar, transition, type EngineFill, type MatchResult, type OrderJournalEntry, type PriceBar } from '@tradeyard/fill-engine';
import { accountConfig, configureAccount, ensureAccount } from './account-settings';
import { brokerContext, CURRENCY, type BrokerContext, type BrokerEvent, type BrokerSettings, type PriceSource } from './context';
import { newOrder, orderFields, quoteOf, refuseLapsedDate, type OrderFields, type Quote } from './order-request';
import { toOrder } from './order-view';
import { checkPrice, marginCheck, protectionCheck, riskCheck } from './pre-trade-checks';
import { equityOf, fee, reservation } from './valuation';
import { cancelOrder, endGroup } from './cancellation';
import { equityHistory, getOrder, listOrders, orderEvents, portfolio, recompute, storedState, type LedgerState } from './queries';

export { CURRENCY, type BrokerEvent, type BrokerSettings, type PriceSource } from './context';
export type { LedgerState } from './queries';

type PlaceResult = { order: Order; replayed: boolean };
type PlaceOcoResult = { group: OcoGroup; replayed: boolean };

/** A validated order request waiting for its placement transaction. */
interface Placement {
  accountId: string;
  idempotencyKey: string | undefined;
  requestHash: string;
  quote: Quote;
  fields: OrderFields;
}

/**
 * The paper broker and portfolio ledger. Every state change of an account happens in one
 * transaction that first locks the account row, so orders of one account are applied one at
 * a time and cash, positions, the order, its journal and its fill always change together. The
 * transaction is a unit of work (src/unit-of-work.ts): the account's state is read once, changed
 * in memory and written in one statement. Placements are group-committed: those that arrive while
 * a placement transaction is in flight go together in the next one, each checked and applied in
 * arrival order exactly as alone (README "Throughput"). The events of a change (order, fills) are
 * written to the outbox in that same transaction; `committed` is called after a commit that
 * wrote some, so the relay can publish them at once. Every status change goes through the
 * transition table of libs/fill-engine. Amounts are exact micro-units (libs/money).
 */
export class Broker {
  private readonly ctx: BrokerContext;
  private readonly placements: GroupCommit<Placement, PlaceResult>;

  constructor(db: Database, prices: PriceSource, settings: BrokerSettings, committed: () => void = () => undefined) {
    this.ctx = brokerContext(db, prices, settings, committed);
    const { maxBatch = 256, maxQueued = 4096 } = settings;
    this.placements = new GroupCommit((batch) => this.placeBatch(batch), { maxBatch, maxQueued }, (queued) =>
      // A 503 with Retry-After through the services' error handler, like any dependency that cannot take more work now.
      new DependencyUnavailableError('order placement', `${queued} orders are already waiting to be placed; retry in a moment`, 1),
      // A database that is down fails every order of the batch alike: trying each alone would only multiply the wait.
      (error) => !(error instanceof DependencyUnavailableError) && !isConnectionError(error),
    );
  }


  ensureAccount(accountId: string): Promise<void> {
    return ensureAccount(this.ctx, accountId);
  }

  /** The fee of a fill of `quantity` with this notional (libs/fill-engine's cost model). */
  fee(quantity: bigint, fillNotional: bigint): bigint {
    return fee(this.ctx, quantity, fillNotional);
  }

  /**
   * Places an order. The fill engine (libs/fill-engine) evaluates it at the current quote: a
   * market order or a marketable limit fills there, moved against the trade by slippage; ioc and
   * fok act; what is left rests as `accepted` (or `partially_filled`) until a later bar fills,
   * triggers or expires it, reserving cash (buys) or shares (sells). An order that fails a
   * pre-trade check is recorded as `denied` with a reason code. With an idempotency key the
   * order's id is derived from the account and the key, a retry with the same request returns
   * the original order (`replayed`), and a different request under the same key is an
   * `idempotency_mismatch` error. The request is validated here; the order then waits for the
   * next placement transaction (group commit), and when more than `maxQueued` wait it is refused
   * with a DependencyUnavailableError (503, retry).
   */
  async placeOrder(accountId: string, input: PlaceOrder, idempotencyKey?: string): Promise<PlaceResult> {
    const { fields, hashed } = orderFields(input);
    const quote = quoteOf(this.ctx, input.symbol, 'symbol');
    refuseLapsedDate(fields, quote, 'expireDate');
    const requestHash = createHash('sha256').update(JSON.stringify(hashed)).digest('hex');
    return this.placements.submit({ accountId, idempotencyKey, requestHash, quote, fields });
  }

  /**
   * One placement transaction for a batch of orders: every account of the batch locked (sorted,
   * once), each order checked and applied in arrival order against the state the ones before it
   * left, then everything written at once. An idempotency mismatch refuses its order before it
   * changes anything, so the batch goes on; any other error rolls the batch back and the group
   * commit places its orders one by one.
   */
  private async placeBatch(batch: Placement[]): Promise<Outcome<PlaceResult>[]> {
    const { outcomes, publishes } = await this.ctx.db.transaction(async (tx) => {
      const work = await UnitOfWork.open(tx, {
        accounts: batch.map((p) => p.accountId),
        startingCash: formatMicros(toMicros(this.ctx.settings.startingCash)),
        allowShort: this.ctx.settings.allowShort,
        trading: true,
        keys: batch.flatMap((p) => (p.idempotencyKey ? [[p.accountId, p.idempotencyKey] as [string, string]] : [])),
      });
      const outcomes: Outcome<PlaceResult>[] = [];
      for (const placement of batch) {
        try {
          outcomes.push({ value: await this.place(work, placement) });
        } catch (error) {
          if (!(error instanceof BrokerError && error.kind === 'idempotency_mismatch')) throw error;
          outcomes.push({ error });
        }
      }
      await work.flush();
      return { outcomes, publishes: work.publishes };
    });
    if (publishes) this.ctx.committed();
    return outcomes;
  }

  /** Checks and applies one placement inside a placement transaction. */
  private async place(work: UnitOfWork, { accountId, idempotencyKey, requestHash, quote, fields }: Placement): Promise<PlaceResult> {
    const book = work.book(accountId);
    const existing = replayOf(work, accountId, idempotencyKey, requestHash);
    if (existing) return { order: toOrder(existing), replayed: true };
    const initialized = newOrder(idempotencyKey ? orderIdFor(accountId, idempotencyKey) : randomUUID(), accountId, fields, new Date().toISOString(), null);
    const { accepted, outcome, denial } = this.arrival(book, initialized, quote);
    let events: BrokerEvent[];
    if (denial) {
      const step = transition(initialized, 'deny', { reasonCode: `denied_${denial.code}`, reason: denial.reason });
      work.insertOrder(step.order, [step.entry], idempotencyKey ?? null, requestHash);
      events = [{ channel: 'orders', accountId, data: toOrder(step.order) }];
    } else {
      // Inserted as accepted; the fills and any expiry of the arrival are applied to that row.
      const market = toMicros(quote.price);
      const order = { ...accepted.order, ...reservation(this.ctx, accepted.order, market, book.account.allowShort) };
      work.insertOrder(order, [accepted.entry], idempotencyKey ?? null, requestHash);
      events = await this.applyMatch(work, order, outcome, book, market);
    }
    work.publish(events);
    return { order: events.find((e) => e.channel === 'orders')!.data as Order, replayed: false };
  }

  /** An order's evaluation at the quote it arrives at (accepted), and the pre-trade check that denies it, if one does. */
  private arrival(book: AccountBook, initialized: OrderRecord, quote: Quote) {
    const accepted = transition(initialized, 'accept');
    const market = toMicros(quote.price);
    const outcome = arrive(accepted.order, quoteBar(quote.time, market, quote.volume === undefined ? null : toMicros(quote.volume)), this.ctx.costs);
    const position = book.position(initialized.symbol);
    const price = checkPrice(outcome, market);
    const denial =
      riskCheck(this.ctx, book, initialized, position, price) ?? marginCheck(this.ctx, book, initialized, position, price) ?? protectionCheck(this.ctx, book, initialized, position, price, quote.time);
    return { accepted, outcome, denial };
  }

  /**
   * Places a one-cancels-other group (README "One-cancels-other"): two or more orders of one
   * symbol, accepted or denied together, linked so that the first to trade (a partial fill
   * included) or to close cancels the others in the same transaction. Each is checked as an order
   * alone would be; the first holds what the group needs, the largest of what each would hold,
   * since only one of them can trade. With an idempotency key the group is named by it, and a
   * retry returns the group as it is now (`replayed`). A bad field is refused naming it
   * (`orders.N.field`).
   */
  async placeOcoOrders(accountId: string, inputs: readonly PlaceOrder[], idempotencyKey?: string): Promise<PlaceOcoResult> {
    if (inputs.length < 2) throw new BrokerError('invalid', 'validation_failed', 'orders: must hold at least 2 orders: a one-cancels-other group links two or more', 'orders');
    const legs = inputs.map((input, index) => orderFields(input, `orders.${index}.`));
    const { symbol } = legs[0].fields;
    const quote = quoteOf(this.ctx, symbol, 'orders.0.symbol');
    legs.forEach(({ fields }, index) => {
      // One symbol: the group's reservation is held by one order, in that symbol's cash and shares.
      const field = `orders.${index}.symbol`;
      if (fields.symbol !== symbol) throw new BrokerError('invalid', 'validation_failed', `${field}: must be ${symbol}, the symbol of the group's first order: a one-cancels-other group trades one symbol`, field);
      refuseLapsedDate(fields, quote, `orders.${index}.expireDate`);
    });
    const requestHash = createHash('sha256').update(JSON.stringify(['oco', ...legs.map((leg) => leg.hashed)])).digest('hex');
    const { result, publishes } = await this.ctx.db.transaction(async (tx) => {
      const work = await UnitOfWork.open(tx, {
        accounts: [accountId], startingCash: formatMicros(toMicros(this.ctx.settings.startingCash)), allowShort: this.ctx.settings.allowShort, trading: true,
        keys: idempotencyKey ? [[accountId, idempotencyKey]] : [],
      });
      const placed = await this.placeGroup(work, accountId, idempotencyKey, requestHash, quote, legs.map((leg) => leg.fields));
      await work.flush();
      return { result: placed, publishes: work.publishes };
    });
    if (publishes) this.ctx.committed();
    return result;
  }

  /** Checks and applies a one-cancels-other group inside its transaction. */
  private async placeGroup(work: UnitOfWork, accountId: string, key: string | undefined, requestHash: string, quote: Quote, legs: OrderFields[]): Promise<PlaceOcoResult> {
    const existing = replayOf(work, accountId, key, requestHash);
    // An order stored before request hashes were kept matches any request: only a group's is its group.
    if (existing?.ocoGroupId === null) throw keyReused(key!, existing.id);
    if (existing) {
      const rows = await work.tx.query(`SELECT ${orderColumns} FROM orders WHERE oco_group_id = $1 ORDER BY created_at, id`, [existing.ocoGroupId]);
      return { group: { groupId: existing.ocoGroupId!, orders: rows.map((row) => toOrder(toRecord(row))) }, replayed: true };
    }
    const book = work.book(accountId);
    const first = key ? orderIdFor(accountId, key) : randomUUID();
    const groupId = key ? orderIdFor(first, 'oco') : randomUUID();
    const idOf = (index: number) => (index === 0 ? first : key ? orderIdFor(first, `oco/${index}`) : randomUUID());
    // A millisecond apart: resting orders match oldest first, so each bar evaluates the group in the order given.
    const created = Date.now();
    const orders = legs.map((fields, index) => newOrder(idOf(index), accountId, fields, new Date(created + index).toISOString(), groupId));
    const arrivals = orders.map((order) => this.arrival(book, order, quote));
    const insert = (order: OrderRecord, journal: OrderJournalEntry[], index: number) => work.insertOrder(order, journal, index === 0 ? (key ?? null) : null, index === 0 ? requestHash : null);
    const refused = arrivals.findIndex((a) => a.denial);
    const events: BrokerEvent[] = [];
    if (refused >= 0) {
      // The group is one decision: an order the checks deny denies the others with it.
      const why = { code: 'oco_group' as const, reason: `order ${orders[refused].id} of its one-cancels-other group was denied: ${arrivals[refused].denial!.reason}` };
      orders.forEach((order, index) => {
        const denial = arrivals[index].denial ?? why;
        const step = transition(order, 'deny', { reasonCode: `denied_${denial.code}`, reason: denial.reason });
        insert(step.order, [step.entry], index);
        events.push({ channel: 'orders', accountId, data: toOrder(step.order) });
      });
    } else {
      const market = toMicros(quote.price);
      const held = arrivals.map((a) => reservation(this.ctx, a.accepted.order, market, book.account.allowShort));
      const largest = (amounts: bigint[]) => amounts.reduce((a, b) => (b > a ? b : a), 0n);
      const groupHolds = { reservedCash: largest(held.map((h) => h.reservedCash)), reservedQuantity: largest(held.map((h) => h.reservedQuantity)) };
      arrivals.forEach((a, index) => insert({ ...a.accepted.order, ...(index === 0 ? groupHolds : {}) }, [a.accepted.entry], index));
      for (const [index, a] of arrivals.entries()) {
        const current = work.latest(orders[index]);
        // An order before it that traded on arrival ended the group: this one never arrives.
        if (openStatuses.includes(current.status)) events.push(...(await this.applyMatch(work, current, a.outcome, book, market)));
      }
    }
    work.publish(events);
    return { group: { groupId, orders: orders.map((order) => toOrder(work.latest(order))) }, replayed: false };
  }

  /**
   * The exits of a bracket entry that has stopped trading with a filled quantity: a take-profit
   * limit and a stop-loss stop on the other side for that quantity, one cancels the other. They
   * start resting at the entry's last fill and are evaluated from the next bar. The pair
   * reserves once: the first child holds the shares (or cash), the second none.
   */
  private placeBracketExits(work: UnitOfWork, entry: OrderRecord, book: AccountBook, time: number): BrokerEvent[] {
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
      const child = { ...step.order, ...(index === 0 ? reservation(this.ctx, step.order, exit.limitPrice ?? exit.stopPrice!, book.account.allowShort) : {}) };
      work.insertOrder(child, [step.entry], null, null);
      events.push({ channel: 'orders', accountId: child.accountId, data: toOrder(child) });
    }
    return events;
  }

  configureAccount(accountId: string, input: unknown): Promise<AccountConfig> {
    return configureAccount(this.ctx, accountId, input);
  }

  accountConfig(accountId: string): Promise<AccountConfig> {
    return accountConfig(this.ctx, accountId);
  }

  /**
   * Applies one evaluation of the fill engine to the unit of work: each fill's row (its id
   * derived from the order and the fill's number), cash, fees paid, position and an equity point;
   * then the order (its reservation recomputed while it stays open) and its journal. Returns the
   * events to publish.
   */
  private async applyMatch(work: UnitOfWork, before: OrderRecord, outcome: MatchResult<OrderRecord>, book: AccountBook, market: bigint): Promise<BrokerEvent[]> {
    const { accountId, symbol, side } = before;
    const { account } = book;
    const events: BrokerEvent[] = [];
    let position = book.position(symbol);
    let borrowFees = 0n;
    for (const engineFill of outcome.fills) {
      const f = { ...engineFill, fee: engineFill.fee + this.borrowOnCover(account, position, side, engineFill) };
      borrowFees += f.fee - engineFill.fee;
      work.addFill({ id: f.id, order: before, quantity: f.quantity, price: f.price, fee: f.fee, time: f.time, fillNumber: f.fillNumber });
      account.cash = cashAfterFill(account.cash, side, f.quantity, f.price, f.fee);
      book.feesPaid += f.fee;
      book.changed = true;
      const held = position.quantity;
      const next = applyFill(position, side, f.quantity, f.price, f.fee);
      // A position opens (or flips) at this fill's market time; a closed one has no open time.
      const openedAt = next.quantity === 0n ? null : held === 0n || held < 0n !== next.quantity < 0n ? f.time : position.openedAt;
      if (held !== 0n && next.quantity === 0n) this.countTrade(book, next.realizedPnl - position.realizedPnl, f.time);
      position = { ...next, openedAt };
      book.setPosition(symbol, position);
      // At the fill's market time, not the wall's: the equity chart lines up with the fills.
      work.addEquityPoint(book, f.time, equityOf(this.ctx, book));
      const fill: Fill = { id: f.id, orderId: before.id, accountId, symbol, side, quantity: fromMicros(f.quantity), price: fromMicros(f.price), fee: fromMicros(f.fee), currency: CURRENCY, time: f.time };
      events.push({ channel: 'fills', accountId, data: fill });
    }
    const after: OrderRecord = { ...outcome.order, fees: outcome.order.fees + borrowFees, accountId, symbol, createdAt: before.createdAt, updatedAt: new Date().toISOString() };
    // The open quantity changes only with a fill: without one the reservation stands (a bracket's second exit holds none).
    if (!openStatuses.includes(after.status)) Object.assign(after, { reservedCash: 0n, reservedQuantity: 0n });
    else if (outcome.fills.length) Object.assign(after, reservation(this.ctx, after, market, account.allowShort));
    else Object.assign(after, { reservedCash: before.reservedCash, reservedQuantity: before.reservedQuantity });
    work.save(after, outcome.journal);
    const related = endsGroup(before, outcome) ? await endGroup(work, after) : [];
    const entryDone = openStatuses.includes(before.status) && !openStatuses.includes(after.status) && after.filledQuantity > 0n;
    if (entryDone && (after.takeProfitPrice !== null || after.stopLossPrice !== null)) related.push(...this.placeBracketExits(work, after, book, outcome.fills.at(-1)?.time ?? after.evaluatedThrough ?? 0));
    return [{ channel: 'orders', accountId, data: toOrder(after) }, ...events, ...related];
  }

  /** The borrow fee a buy fill pays for the part of a short it covers (0 for anything else). */
  private borrowOnCover(account: AccountBook['account'], position: HeldPosition, side: 'buy' | 'sell', fill: EngineFill): bigint {
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
  private countTrade(book: AccountBook, realized: bigint, time: number) {
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

  /** The latest bar of a symbol as the fill engine takes it: the source's bar, else its quote as a one-price bar. */
  private latestBar(symbol: string): PriceBar | undefined {
    const bar = this.ctx.prices.bar?.(symbol);
    if (bar) return { time: bar.time, open: toMicros(bar.open), high: toMicros(bar.high), low: toMicros(bar.low), close: toMicros(bar.close), volume: toMicros(bar.volume) };
    const quote = this.ctx.prices.price(symbol);
    return quote && quoteBar(quote.time, toMicros(quote.price), quote.volume === undefined ? null : toMicros(quote.volume));
  }

  /** Symbols with at least one open order: only they can fill when their bar moves (one query for the whole universe). */
  async symbolsWithOpenOrders(): Promise<Set<string>> {
    const rows = await this.ctx.db.query<{ symbol: string }>(`SELECT DISTINCT symbol FROM orders WHERE status IN ${orderStatusList}`);
    return new Set(rows.map((row) => row.symbol));
  }

  /**
   * Evaluates every open order of a symbol against its latest bar (the fill engine: limits the
   * range reaches, stops it triggers, trailing stops it moves, day orders it expires), oldest
   * first, each in its own transaction. A fill that no longer passes the risk checks (a stop that
   * gapped past its reservation, a position limit) rejects the order instead. Returns the number
   * of orders filled.
   */
  async matchRestingOrders(symbol: string): Promise<number> {
    const bar = this.latestBar(symbol);
    if (!bar) return 0;
    // Limit orders the bar's range cannot reach are left out; every other open order may trigger, trail or expire.
    const candidates = await this.ctx.db.query(
      `SELECT id, account_id FROM orders WHERE status IN ${orderStatusList} AND symbol = $1 AND
        (type <> 'limit' OR time_in_force IN ('day', 'gtd') OR (side = 'buy' AND limit_price >= $2) OR (side = 'sell' AND limit_price <= $3)) ORDER BY created_at, id`,
      [symbol, formatMicros(bar.low), formatMicros(bar.high)],
    );
    let filled = 0;
    for (const candidate of candidates) {
      const accountId = String(candidate.account_id);
      const order = await this.ctx.db.transaction(async (tx) => {
        const work = await UnitOfWork.open(tx, { accounts: [accountId], allowShort: this.ctx.settings.allowShort, trading: true, orderIds: [String(candidate.id)] });
        const resting = work.order(String(candidate.id));
        if (!resting || !openStatuses.includes(resting.status)) return undefined; // cancelled meanwhile
        const outcome = matchBar(resting, bar, this.ctx.costs);
        if (outcome.order === resting) return undefined; // this bar was already evaluated
        const book = work.book(accountId);
        const [position, price] = [book.position(resting.symbol), outcome.fills[0]?.price];
        const refusal = price === undefined ? undefined : (riskCheck(this.ctx, book, resting, position, price) ?? marginCheck(this.ctx, book, resting, position, price));
        let events: BrokerEvent[];
        if (refusal) {
          const step = transition(resting, 'reject', { reasonCode: `rejected_${refusal.code}`, reason: refusal.reason });
          const rejected = { ...step.order, reservedCash: 0n, reservedQuantity: 0n, updatedAt: new Date().toISOString() };
          work.save(rejected, [step.entry]);
          events = [{ channel: 'orders', accountId, data: toOrder(rejected) }, ...(await endGroup(work, rejected))];
        } else {
          events = await this.applyMatch(work, resting, outcome, book, bar.close);
        }
        work.publish(events);
        await work.flush();
        return events.find((e) => e.channel === 'orders')?.data as Order | undefined;
      });
      if (order) {
        this.ctx.committed();
        if (order.status === 'filled') filled++;
      }
    }
    return filled;
  }

  cancelOrder(accountId: string, orderId: string): Promise<Order> {
    return cancelOrder(this.ctx, accountId, orderId);
  }

  getOrder(accountId: string, orderId: string): Promise<Order> {
    return getOrder(this.ctx, accountId, orderId);
  }

  orderEvents(accountId: string, orderId: string): Promise<(OrderJournalEntry & { createdAt: string })[]> {
    return orderEvents(this.ctx, accountId, orderId);
  }

  listOrders(accountId: string, query: OrdersQuery = {}): Promise<Order[]> {
    return listOrders(this.ctx, accountId, query);
  }

  portfolio(accountId: string): Promise<Portfolio> {
    return portfolio(this.ctx, accountId);
  }

  equityHistory(accountId: string, limit = 1000): Promise<{ time: number; equity: number }[]> {
    return equityHistory(this.ctx, accountId, limit);
  }

  /** Cash, fees paid and positions recomputed from the account's fills alone. */
  recompute(accountId: string): Promise<LedgerState> {
    return recompute(this.ctx, accountId);
  }

  /** The stored cash, fees paid and positions, in the shape recompute() returns. */
  storedState(accountId: string): Promise<LedgerState> {
    return storedState(this.ctx, accountId);
  }
}

/**
 * The order an idempotency key already placed (in its latest state), or undefined for a new key; a
 * key reused for a different request is an idempotency_mismatch.
 */
function replayOf(work: UnitOfWork, accountId: string, idempotencyKey: string | undefined, requestHash: string): OrderRecord | undefined {
  const existing = idempotencyKey ? work.keyedOrder(accountId, idempotencyKey) : undefined;
  if (existing?.requestHash && existing.requestHash !== requestHash) throw keyReused(idempotencyKey!, existing.order.id);
  return existing?.order;
}

const keyReused = (idempotencyKey: string, orderId: string) =>
  new BrokerError(
    'idempotency_mismatch',
    'idempotency_key_reused',
    `idempotency key "${idempotencyKey}" was already used for a different order (${orderId}); use a new key for a new order`,
    'Idempotency-Key',
  );
