import type { OcoGroup, Order, PlaceOrder } from '@tradeyard/gateway-contract';
import { arrive, BrokerError, openStatuses, orderIdFor, quoteBar, transition, type OrderJournalEntry } from '@tradeyard/fill-engine';
import { formatMicros, toMicros } from '@tradeyard/money';
import { isConnectionError } from '@tradeyard/persistence';
import { DependencyUnavailableError } from '@tradeyard/runtime-util';
import { createHash, randomUUID } from 'node:crypto';
import type { BrokerContext, BrokerEvent } from './context';
import { GroupCommit, type Outcome } from './group-commit';
import { DEFAULT_MARKET, inMarket, refusedBeforeAnyChange } from './markets';
import { newOrder, orderFields, quoteOf, refuseLapsedDate, type OrderFields, type Quote } from './order-request';
import { toOrder } from './order-view';
import { checkPrice, marginCheck, protectionCheck, riskCheck } from './pre-trade-checks';
import { applyMatch } from './settlement';
import { orderColumns, toRecord, UnitOfWork, type AccountBook, type OrderRecord } from './unit-of-work';
import { reservation } from './valuation';

export type PlaceResult = { order: Order; replayed: boolean };
export type PlaceOcoResult = { group: OcoGroup; replayed: boolean };

/** A validated order request waiting for its placement transaction. */
export interface Placement {
  accountId: string;
  /** The market the order was priced in: the account's own (checked in the transaction: inMarket). */
  market: string;
  idempotencyKey: string | undefined;
  requestHash: string;
  quote: Quote;
  fields: OrderFields;
}

/**
 * The group commit of placements (README "Throughput"): orders that arrive while a placement
 * transaction is in flight go together in the next one. When more than maxQueued wait, a placement
 * is refused at once as overloaded.
 */
export function placementQueue(ctx: BrokerContext): GroupCommit<Placement, PlaceResult> {
  const { maxBatch = 256, maxQueued = 4096 } = ctx.settings;
  return new GroupCommit((batch) => placeBatch(ctx, batch), { maxBatch, maxQueued }, (queued) =>
    // A 503 with Retry-After through the services' error handler, like any dependency that cannot take more work now.
    new DependencyUnavailableError('order placement', `${queued} orders are already waiting to be placed; retry in a moment`, 1),
    // A database that is down fails every order of the batch alike: trying each alone would only multiply the wait.
    (error) => !(error instanceof DependencyUnavailableError) && !isConnectionError(error),
  );
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
export async function placeOrder(ctx: BrokerContext, placements: GroupCommit<Placement, PlaceResult>, accountId: string, input: PlaceOrder, idempotencyKey?: string, market = DEFAULT_MARKET): Promise<PlaceResult> {
  const { fields, hashed } = orderFields(input);
  const quote = quoteOf(ctx, market, input.symbol, 'symbol');
  refuseLapsedDate(fields, quote, 'expireDate');
  const requestHash = createHash('sha256').update(JSON.stringify(hashed)).digest('hex');
  return placements.submit({ accountId, market, idempotencyKey, requestHash, quote, fields });
}

/**
 * One placement transaction for a batch of orders: every account of the batch locked (sorted,
 * once), each order checked and applied in arrival order against the state the ones before it
 * left, then everything written at once. An idempotency mismatch refuses its order before it
 * changes anything, so the batch goes on; any other error rolls the batch back and the group
 * commit places its orders one by one.
 */
async function placeBatch(ctx: BrokerContext, batch: Placement[]): Promise<Outcome<PlaceResult>[]> {
  const { outcomes, publishes } = await ctx.db.transaction(async (tx) => {
    const work = await UnitOfWork.open(tx, {
      accounts: batch.map((p) => p.accountId),
      startingCash: formatMicros(toMicros(ctx.settings.startingCash)),
      allowShort: ctx.settings.allowShort,
      trading: true,
      keys: batch.flatMap((p) => (p.idempotencyKey ? [[p.accountId, p.idempotencyKey] as [string, string]] : [])),
    });
    const outcomes: Outcome<PlaceResult>[] = [];
    for (const placement of batch) {
      try {
        outcomes.push({ value: await place(ctx, work, placement) });
      } catch (error) {
        if (!refusedBeforeAnyChange(error)) throw error;
        outcomes.push({ error });
      }
    }
    await work.flush();
    return { outcomes, publishes: work.publishes };
  });
  if (publishes) ctx.committed();
  return outcomes;
}

/** Checks and applies one placement inside a placement transaction. */
async function place(ctx: BrokerContext, work: UnitOfWork, { accountId, market, idempotencyKey, requestHash, quote, fields }: Placement): Promise<PlaceResult> {
  const book = inMarket(work.book(accountId), market);
  const existing = replayOf(work, accountId, idempotencyKey, requestHash);
  if (existing) return { order: toOrder(existing), replayed: true };
  const initialized = newOrder(idempotencyKey ? orderIdFor(accountId, idempotencyKey) : randomUUID(), accountId, fields, new Date().toISOString(), null);
  const { accepted, outcome, denial } = arrival(ctx, book, initialized, quote);
  let events: BrokerEvent[];
  if (denial) {
    const step = transition(initialized, 'deny', { reasonCode: `denied_${denial.code}`, reason: denial.reason });
    work.insertOrder(step.order, [step.entry], idempotencyKey ?? null, requestHash);
    events = [{ channel: 'orders', accountId, data: toOrder(step.order) }];
  } else {
    // Inserted as accepted; the fills and any expiry of the arrival are applied to that row.
    const market = toMicros(quote.price);
    const order = { ...accepted.order, ...reservation(ctx, accepted.order, market, book.account.allowShort) };
    work.insertOrder(order, [accepted.entry], idempotencyKey ?? null, requestHash);
    events = await applyMatch(ctx, work, order, outcome, book, market);
  }
  work.publish(events);
  return { order: events.find((e) => e.channel === 'orders')!.data as Order, replayed: false };
}

/** An order's evaluation at the quote it arrives at (accepted), and the pre-trade check that denies it, if one does. */
function arrival(ctx: BrokerContext, book: AccountBook, initialized: OrderRecord, quote: Quote) {
  const accepted = transition(initialized, 'accept');
  const market = toMicros(quote.price);
  const outcome = arrive(accepted.order, quoteBar(quote.time, market, quote.volume === undefined ? null : toMicros(quote.volume)), ctx.costs);
  const position = book.position(initialized.symbol);
  const price = checkPrice(outcome, market);
  const denial =
    riskCheck(ctx, book, initialized, position, price) ?? marginCheck(ctx, book, initialized, position, price) ?? protectionCheck(ctx, book, initialized, position, price, quote.time);
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
export async function placeOcoOrders(ctx: BrokerContext, accountId: string, inputs: readonly PlaceOrder[], idempotencyKey?: string, market = DEFAULT_MARKET): Promise<PlaceOcoResult> {
  if (inputs.length < 2) throw new BrokerError('invalid', 'validation_failed', 'orders: must hold at least 2 orders: a one-cancels-other group links two or more', 'orders');
  const legs = inputs.map((input, index) => orderFields(input, `orders.${index}.`));
  const { symbol } = legs[0].fields;
  const quote = quoteOf(ctx, market, symbol, 'orders.0.symbol');
  legs.forEach(({ fields }, index) => {
    // One symbol: the group's reservation is held by one order, in that symbol's cash and shares.
    const field = `orders.${index}.symbol`;
    if (fields.symbol !== symbol) throw new BrokerError('invalid', 'validation_failed', `${field}: must be ${symbol}, the symbol of the group's first order: a one-cancels-other group trades one symbol`, field);
    refuseLapsedDate(fields, quote, `orders.${index}.expireDate`);
  });
  const requestHash = createHash('sha256').update(JSON.stringify(['oco', ...legs.map((leg) => leg.hashed)])).digest('hex');
  const { result, publishes } = await ctx.db.transaction(async (tx) => {
    const work = await UnitOfWork.open(tx, {
      accounts: [accountId], startingCash: formatMicros(toMicros(ctx.settings.startingCash)), allowShort: ctx.settings.allowShort, trading: true,
      keys: idempotencyKey ? [[accountId, idempotencyKey]] : [],
    });
    const placed = await placeGroup(ctx, work, accountId, market, idempotencyKey, requestHash, quote, legs.map((leg) => leg.fields));
    await work.flush();
    return { result: placed, publishes: work.publishes };
  });
  if (publishes) ctx.committed();
  return result;
}

/** Checks and applies a one-cancels-other group inside its transaction. */
async function placeGroup(ctx: BrokerContext, work: UnitOfWork, accountId: string, market: string, key: string | undefined, requestHash: string, quote: Quote, legs: OrderFields[]): Promise<PlaceOcoResult> {
  inMarket(work.book(accountId), market);
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
  const arrivals = orders.map((order) => arrival(ctx, book, order, quote));
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
    const held = arrivals.map((a) => reservation(ctx, a.accepted.order, market, book.account.allowShort));
    const largest = (amounts: bigint[]) => amounts.reduce((a, b) => (b > a ? b : a), 0n);
    const groupHolds = { reservedCash: largest(held.map((h) => h.reservedCash)), reservedQuantity: largest(held.map((h) => h.reservedQuantity)) };
    arrivals.forEach((a, index) => insert({ ...a.accepted.order, ...(index === 0 ? groupHolds : {}) }, [a.accepted.entry], index));
    for (const [index, a] of arrivals.entries()) {
      const current = work.latest(orders[index]);
      // An order before it that traded on arrival ended the group: this one never arrives.
      if (openStatuses.includes(current.status)) events.push(...(await applyMatch(ctx, work, current, a.outcome, book, market)));
    }
  }
  work.publish(events);
  return { group: { groupId, orders: orders.map((order) => toOrder(work.latest(order))) }, replayed: false };
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
