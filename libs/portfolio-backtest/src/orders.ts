import {
  arrive,
  buyCost,
  endsGroup,
  fillFee,
  marginDenial,
  marginInputs,
  restingPrice,
  type ShortMargin,
  groupEndedBy,
  matchBar,
  orderAverageFillPrice,
  orderIdFor,
  transition,
  type CostModel,
  type EngineFill,
  type EngineOrder,
  type MatchResult,
  type OrderType,
  type PriceBar,
  type ReasonCode,
  type TimeInForce,
} from '@tradeyard/fill-engine';
import { divRound, fromMicros, MICROS, notional } from '@tradeyard/money';
import type { OpenOrderView } from '@tradeyard/strategy';
import type { PortfolioFill, PortfolioLedger } from './ledger';

/** An order of a portfolio backtest: the fill engine's order, with what the portfolio adds. */
export interface BacktestOrder extends EngineOrder {
  /** The symbol's index in the run. */
  symbol: number;
  clientId: string | null;
  /** The reason tag of the decision that placed it. */
  tag: string | null;
  /** A bracket exit: its entry's id. */
  parentId: string | null;
  /** A bracket entry: the prices of its exits. */
  takeProfit: bigint | null;
  stopLoss: bigint | null;
  /** Placed by a targets decision: the next targets decision for its symbol cancels what is left of it. */
  target: boolean;
  /** Σ quantity × price of its fills (libs/fill-engine fillValue, kept by the fill engine): its average fill price is orderAverageFillPrice. */
  filledValue: bigint;
  /** When the decision that placed it was made. */
  decidedAt: number;
}

/** An order as a result lists it: final state, amounts as numbers. */
export interface PortfolioOrder {
  id: string;
  clientId: string | null;
  symbol: string;
  side: 'buy' | 'sell';
  type: OrderType;
  timeInForce: TimeInForce;
  quantity: number;
  filledQuantity: number;
  /** The exact quantity-weighted average of the fills, rounded once; null without fills. */
  avgFillPrice: number | null;
  fees: number;
  limitPrice: number | null;
  stopPrice: number | null;
  status: string;
  reasonCode: string | null;
  /** Why the status is what it is (expired, denied, rejected, cancelled). */
  statusReason: string | null;
  /** The reason tag of the decision that placed it. */
  reason: string | null;
  parentId: string | null;
  /** An order of a one-cancels-other group: the group's id. */
  ocoGroupId: string | null;
  decidedAt: string;
}

/** What a new order starts as: initialized, nothing filled. */
export function newOrder(
  fields: Pick<BacktestOrder, 'id' | 'symbol' | 'side' | 'type' | 'timeInForce' | 'quantity' | 'clientId' | 'tag' | 'target' | 'decidedAt'> &
    Partial<Pick<BacktestOrder, 'limitPrice' | 'stopPrice' | 'trailAmount' | 'trailPercent' | 'takeProfit' | 'stopLoss' | 'parentId' | 'goodTillDate' | 'ocoGroupId'>>,
): BacktestOrder {
  return {
    status: 'initialized', reasonCode: null, reason: null, filledQuantity: 0n, filledNotional: 0n, fees: 0n, fillCount: 0, limitPrice: null, stopPrice: null,
    trailAmount: null, trailPercent: null, trailAnchor: null, triggered: false, arrivalTime: null, evaluatedThrough: null, parentId: null, takeProfit: null,
    stopLoss: null, filledValue: 0n, ocoGroupId: null, ...fields,
  };
}

const isOpen = (o: EngineOrder) => o.status === 'accepted' || o.status === 'partially_filled';

/**
 * The orders of a portfolio backtest and what they do to its ledger, the way the paper broker
 * treats them: an order waits for the next bar of its symbol, arrives at that bar's open (accepted
 * or denied by the pre-trade checks, then matched by the fill engine at that quote), and what is
 * left rests and is matched against each later bar. A fill the account cannot take (a buy beyond
 * the cash; a sell beyond the shares when the run does not allow shorts, a fill breaking the short
 * margin when it does) rejects the order instead. Bracket entries place
 * their exits once they stop trading; the exits cancel each other. Every status change goes
 * through the fill engine's transition table. A one-cancels-other group arrives together (denied
 * together when one of its orders is), and the first of its orders to trade or to close cancels the
 * others, as the fill engine's matchBook and the broker do (libs/fill-engine oco.ts).
 */
export class OrderBook {
  /** Orders decided, waiting for their symbol's next bar. */
  private readonly pending: BacktestOrder[][];
  /** Orders resting (accepted or partially filled). */
  private readonly resting: BacktestOrder[][];
  /** Every order that stopped (filled, cancelled, expired, denied, rejected). */
  readonly done: BacktestOrder[] = [];
  readonly fills: PortfolioFill[] = [];
  /** Orders pending or resting: the engine skips the order work while there are none. */
  active = 0;
  /**
   * Each symbol's market price now in micro-units, for the short margin's equity and short value:
   * the engine sets it at each open (the open of a symbol with a bar then, else its latest close).
   */
  mark: (k: number) => bigint = () => 0n;

  constructor(
    private readonly symbols: readonly string[],
    private readonly ledger: PortfolioLedger,
    private readonly costs: CostModel,
    /** The short margin when the run allows short selling (libs/fill-engine margin.ts); null: long only. */
    private readonly shortMargin: ShortMargin | null = null,
  ) {
    this.pending = symbols.map(() => []);
    this.resting = symbols.map(() => []);
  }

  /** Queues an order for its symbol's next bar. */
  submit(order: BacktestOrder): void {
    this.pending[order.symbol].push(order);
    this.active++;
  }

  /** Orders of symbol k waiting or resting. */
  hasOrders(k: number): boolean {
    return this.pending[k].length > 0 || this.resting[k].length > 0;
  }

  /**
   * Places the orders waiting for symbol k at its bar's open (`quote`): each is accepted or denied,
   * then arrives at the quote; what is left rests.
   */
  arriveAll(k: number, barIndex: number, quote: PriceBar): void {
    const waiting = this.pending[k];
    if (waiting.length === 0) return;
    this.pending[k] = [];
    this.active -= waiting.length;
    for (let i = 0; i < waiting.length; ) {
      const group = waiting[i].ocoGroupId;
      if (!group) {
        this.place(waiting[i++], barIndex, quote);
        continue;
      }
      // A decision submits a group's orders one after another.
      let end = i + 1;
      while (end < waiting.length && waiting[end].ocoGroupId === group) end++;
      this.placeGroup(waiting.slice(i, end), barIndex, quote);
      i = end;
    }
  }

  /** Places one order now, at the quote of symbol k's bar `barIndex` (the engine's sized target orders). */
  place(order: BacktestOrder, barIndex: number, quote: PriceBar): void {
    const denial = this.denial(order, quote.open);
    if (denial) {
      this.finish(transition(order, 'deny', denial).order);
      return;
    }
    const accepted = transition(order, 'accept').order;
    this.apply(accepted, arrive(accepted, quote, this.costs), barIndex);
  }

  /**
   * Places a one-cancels-other group at the quote, as the broker does: each order is checked as it
   * would be alone, and one denied denies the others (denied_oco_group); else they arrive in the
   * order given, and once one has traded or closed the ones after it are cancelled unevaluated.
   */
  private placeGroup(orders: readonly BacktestOrder[], barIndex: number, quote: PriceBar): void {
    const denials = orders.map((order) => this.denial(order, quote.open));
    const refused = denials.findIndex(Boolean);
    if (refused >= 0) {
      const why = { reasonCode: 'denied_oco_group' as const, reason: `order ${orders[refused].id} of its one-cancels-other group was denied: ${denials[refused]!.reason}` };
      orders.forEach((order, index) => this.finish(transition(order, 'deny', denials[index] ?? why).order));
      return;
    }
    let endedBy: BacktestOrder | undefined;
    for (const order of orders) {
      const accepted = transition(order, 'accept').order;
      if (endedBy) this.finish(transition(accepted, 'cancel', { reasonCode: 'cancelled_by_oco', reason: groupEndedBy(endedBy, 'one-cancels-other group') }).order);
      else endedBy = this.apply(accepted, arrive(accepted, quote, this.costs), barIndex);
    }
  }

  /** Matches the orders resting on symbol k against its bar `barIndex`. */
  matchAll(k: number, barIndex: number, bar: PriceBar): void {
    for (const order of [...this.resting[k]]) {
      // A sibling's fill in this loop may have cancelled it already.
      if (this.resting[k].includes(order)) this.apply(order, matchBar(order, bar, this.costs), barIndex);
    }
  }

  /** Cancels open orders by id or clientId (or all); orders still waiting are dropped unplaced. */
  cancel(which: readonly string[] | 'all', why: string): void {
    const selected = (o: BacktestOrder) => which === 'all' || which.includes(o.id) || (o.clientId !== null && which.includes(o.clientId));
    for (let k = 0; k < this.symbols.length; k++) {
      // A group goes as one: cancelling one of its waiting orders drops the others.
      const groups = new Set(this.pending[k].filter(selected).map((o) => o.ocoGroupId));
      const kept = this.pending[k].filter((o) => !selected(o) && !(o.ocoGroupId && groups.has(o.ocoGroupId)));
      this.active -= this.pending[k].length - kept.length;
      this.pending[k] = kept;
      for (const order of this.resting[k].filter(selected)) this.cancelResting(order, 'cancelled_by_account', why);
    }
  }

  /** Cancels what is left of symbol k's target orders (a new targets decision re-sizes it). */
  cancelTargets(k: number): void {
    const kept = this.pending[k].filter((o) => !o.target);
    this.active -= this.pending[k].length - kept.length;
    this.pending[k] = kept;
    for (const order of this.resting[k].filter((o) => o.target)) this.cancelResting(order, 'cancelled_by_account', 'a new targets decision re-sized the position');
  }

  /** The open orders (waiting ones as `initialized`), for the strategy's portfolio view. */
  openOrders(): OpenOrderView[] {
    const view = (o: BacktestOrder): OpenOrderView => ({
      id: o.id, clientId: o.clientId, symbol: this.symbols[o.symbol], side: o.side, type: o.type, timeInForce: o.timeInForce, quantity: fromMicros(o.quantity),
      filledQuantity: fromMicros(o.filledQuantity), limitPrice: o.limitPrice === null ? null : fromMicros(o.limitPrice), stopPrice: o.stopPrice === null ? null : fromMicros(o.stopPrice),
      status: o.status, reason: o.tag, parentId: o.parentId, ocoGroupId: o.ocoGroupId ?? null,
    });
    if (this.active === 0) return [];
    const open: OpenOrderView[] = [];
    for (const orders of this.resting) for (const o of orders) open.push(view(o));
    for (const orders of this.pending) for (const o of orders) open.push(view(o));
    return open;
  }

  /**
   * Pre-trade checks at arrival: no short sale unless the run allows them, no market buy beyond
   * the cash, and with shorts the broker's margin rule for the order's quantity at the price it
   * would rest at (the quote for a market order).
   */
  private denial(order: BacktestOrder, price: bigint): { reasonCode: ReasonCode; reason: string } | undefined {
    const held = this.ledger.shares[order.symbol];
    if (order.side === 'sell' && !this.shortMargin && order.quantity > held) {
      return { reasonCode: 'denied_insufficient_position', reason: `sell of ${fromMicros(order.quantity)} exceeds the ${fromMicros(held)} held (no short selling)` };
    }
    if (order.side === 'buy' && order.type === 'market' && buyCost(this.costs, price, order.quantity, null) > this.ledger.cash) {
      return { reasonCode: 'denied_buying_power', reason: `buy of ${fromMicros(order.quantity)} at ${fromMicros(price)} costs more than the cash ${fromMicros(this.ledger.cash)}` };
    }
    const checkPrice = restingPrice(order, price);
    const margin = this.marginBreach(order.symbol, order.side, order.quantity, checkPrice, fillFee(this.costs, order.quantity, notional(order.quantity, checkPrice)));
    return margin && { reasonCode: `denied_${margin.code}`, reason: margin.reason };
  }

  /**
   * The short-margin rule the paper broker applies (libs/fill-engine marginDenial) to a trade of
   * symbol k at `price`, against the account valued at `mark`: an order that opens or adds to a
   * short must leave equity of at least the initial margin × the short value, and an account below
   * its maintenance margin may only reduce positions. Undefined when it passes or the run is long only.
   */
  private marginBreach(k: number, side: 'buy' | 'sell', quantity: bigint, price: bigint, fee: bigint) {
    if (!this.shortMargin) return undefined;
    const held = this.ledger.shares[k];
    const before = { equity: this.ledger.equity(this.mark), shortValue: this.ledger.shortValue(this.mark), held, valueHere: notional(held, this.mark(k)) };
    return marginDenial(this.shortMargin, marginInputs(before, side === 'buy' ? quantity : -quantity, price, fee));
  }

  /**
   * Takes the fill engine's result for an order: its fills go to the ledger unless the account
   * cannot take one, which rejects the order. Returns the order when it ended its one-cancels-other
   * group (it traded or closed), whose other open orders it cancelled.
   */
  private apply(before: BacktestOrder, result: MatchResult<BacktestOrder>, barIndex: number): BacktestOrder | undefined {
    const refusal = result.fills.map((f) => this.refusal(before.symbol, f)).find(Boolean);
    const order = refusal ? transition(before, 'reject', refusal).order : result.order;
    for (const fill of refusal ? [] : result.fills) {
      this.ledger.book(order.symbol, barIndex, fill, order.tag);
      this.fills.push({ ...fill, symbol: this.symbols[order.symbol], reason: order.tag });
    }
    const resting = this.resting[order.symbol];
    const at = resting.indexOf(before);
    if (isOpen(order)) {
      if (at >= 0) resting[at] = order;
      else {
        resting.push(order);
        this.active++;
      }
    } else {
      if (at >= 0) {
        resting.splice(at, 1);
        this.active--;
      }
      this.finish(order);
    }
    const traded = !refusal && result.fills.length > 0;
    if (order.parentId !== null && traded) this.cancelSiblings(order, `the other exit of its bracket traded (order ${order.id})`);
    // The broker's rule (libs/fill-engine endsGroup): it traded, or it closed; a refused fill closed it.
    if (!order.ocoGroupId || !endsGroup(before, result)) return undefined;
    this.endGroup(order);
    return order;
  }

  /** Why the account cannot take a fill, or undefined: the checks at arrival, again at the fill's price (a resting order fills later). */
  private refusal(k: number, fill: EngineFill): { reasonCode: ReasonCode; reason: string } | undefined {
    if (fill.side === 'sell' && !this.shortMargin && fill.quantity > this.ledger.shares[k]) {
      return { reasonCode: 'rejected_insufficient_position', reason: `a fill of ${fromMicros(fill.quantity)} exceeds the ${fromMicros(this.ledger.shares[k])} held` };
    }
    if (fill.side === 'buy' && divRound(fill.quantity * fill.price, MICROS) + fill.fee > this.ledger.cash) {
      return { reasonCode: 'rejected_buying_power', reason: `a fill of ${fromMicros(fill.quantity)} at ${fromMicros(fill.price)} costs more than the cash ${fromMicros(this.ledger.cash)}` };
    }
    const margin = this.marginBreach(k, fill.side, fill.quantity, fill.price, fill.fee);
    return margin && { reasonCode: `rejected_${margin.code}`, reason: margin.reason };
  }

  /** An order that stopped; a bracket entry that traded places its exits. */
  private finish(order: BacktestOrder): void {
    this.done.push(order);
    if ((order.takeProfit !== null || order.stopLoss !== null) && order.filledQuantity > 0n) this.placeExits(order);
  }

  /**
   * A bracket entry's exits, as the paper broker places them: a take-profit limit and a stop-loss
   * stop on the other side for the filled quantity, good till cancelled, resting from the entry's
   * last fill and matched from the next bar; one cancels the other.
   */
  private placeExits(entry: BacktestOrder): void {
    const side = entry.side === 'buy' ? 'sell' : 'buy';
    const exits = [
      { kind: 'take_profit', type: 'limit' as const, limitPrice: entry.takeProfit, stopPrice: null },
      { kind: 'stop_loss', type: 'stop' as const, limitPrice: null, stopPrice: entry.stopLoss },
    ].filter((e) => e.limitPrice !== null || e.stopPrice !== null);
    for (const exit of exits) {
      const child = newOrder({
        id: orderIdFor(entry.id, exit.kind), symbol: entry.symbol, side, type: exit.type, timeInForce: 'gtc', quantity: entry.filledQuantity, clientId: null,
        tag: entry.tag, target: false, decidedAt: entry.decidedAt, limitPrice: exit.limitPrice, stopPrice: exit.stopPrice, parentId: entry.id,
      });
      const accepted = transition(child, 'accept').order;
      this.resting[entry.symbol].push({ ...accepted, arrivalTime: entry.evaluatedThrough, evaluatedThrough: entry.evaluatedThrough });
      this.active++;
    }
  }

  private cancelResting(order: BacktestOrder, reasonCode: ReasonCode, why: string): void {
    const resting = this.resting[order.symbol];
    const at = resting.indexOf(order);
    if (at < 0) return;
    resting.splice(at, 1);
    this.active--;
    const cancelled = transition(order, 'cancel', { reasonCode, reason: why }).order;
    this.finish(cancelled);
    if (order.parentId !== null) this.cancelSiblings(order, `the other exit of its bracket was cancelled (order ${order.id})`);
    if (order.ocoGroupId && reasonCode !== 'cancelled_by_oco') this.endGroup(cancelled);
  }

  /** One cancels the others: the open orders of `cause`'s one-cancels-other group, which it ended. */
  private endGroup(cause: BacktestOrder): void {
    const why = groupEndedBy(cause, 'one-cancels-other group');
    for (const other of this.resting[cause.symbol].filter((o) => o.ocoGroupId === cause.ocoGroupId && o.id !== cause.id)) this.cancelResting(other, 'cancelled_by_oco', why);
  }

  /** One cancels the other: the open siblings of a bracket exit. */
  private cancelSiblings(order: BacktestOrder, why: string): void {
    for (const sibling of this.resting[order.symbol].filter((o) => o.parentId === order.parentId && o.id !== order.id)) this.cancelResting(sibling, 'cancelled_by_bracket', why);
  }
}

/** An order's final state as a result lists it. */
export function orderRecord(o: BacktestOrder, symbols: readonly string[], isoDate: (time: number) => string): PortfolioOrder {
  const price = (v: bigint | null) => (v === null ? null : fromMicros(v));
  return {
    id: o.id, clientId: o.clientId, symbol: symbols[o.symbol], side: o.side, type: o.type, timeInForce: o.timeInForce, quantity: fromMicros(o.quantity),
    filledQuantity: fromMicros(o.filledQuantity), avgFillPrice: price(orderAverageFillPrice(o)), fees: fromMicros(o.fees),
    limitPrice: price(o.limitPrice), stopPrice: price(o.stopPrice), status: o.status, reasonCode: o.reasonCode, statusReason: o.reason, reason: o.tag, parentId: o.parentId,
    ocoGroupId: o.ocoGroupId ?? null, decidedAt: isoDate(o.decidedAt),
  };
}
