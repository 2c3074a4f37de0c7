import type { OrdersQuery, Order, PlaceOrder, Portfolio } from '@tradeyard/gateway-contract';
import type { OrderJournalEntry } from '@tradeyard/fill-engine';
import type { Database } from '@tradeyard/persistence';
import { accountConfig, configureAccount, ensureAccount } from './account-settings';
import { cancelOrder } from './cancellation';
import { brokerContext, type BrokerContext, type BrokerSettings, type PriceSource } from './context';
import type { GroupCommit } from './group-commit';
import { placementQueue, placeOcoOrders, placeOrder, type PlaceOcoResult, type Placement, type PlaceResult } from './placement';
import { DEFAULT_MARKET, type MarketPrices } from './markets';
import type { AccountConfig } from './protections';
import { equityHistory, getOrder, listOrders, orderEvents, portfolio, recompute, storedState, type LedgerState } from './queries';
import { matchRestingOrders, symbolsWithOpenOrders } from './settlement';
import { fee } from './valuation';

export { CURRENCY, type BrokerEvent, type BrokerSettings, type PriceSource } from './context';
export type { LedgerState } from './queries';

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
 *
 * This class is the broker's face; each capability is a module of its own: placement.ts (orders
 * and one-cancels-other groups, with order-request.ts), settlement.ts (fills of resting orders,
 * bracket exits), cancellation.ts, queries.ts, account-settings.ts, and the checks an order
 * passes (pre-trade-checks.ts: risk limits, margin, the account's protections; valuation.ts).
 */
export class Broker {
  private readonly ctx: BrokerContext;
  private readonly placements: GroupCommit<Placement, PlaceResult>;

  /**
   * `prices`: one source (every account trades at it), or each market's by id (markets.ts: an
   * account trades at the prices of its own market alone).
   */
  constructor(db: Database, prices: PriceSource | MarketPrices, settings: BrokerSettings, committed: () => void = () => undefined) {
    this.ctx = brokerContext(db, prices, settings, committed);
    this.placements = placementQueue(this.ctx);
  }

  /** Opens an account in `market` (default: the default market) unless it exists; one of another market is a conflict. */
  ensureAccount(accountId: string, market?: string): Promise<void> {
    return ensureAccount(this.ctx, accountId, market);
  }

  /** The market an account trades in (the default market for one not opened yet). */
  marketOfAccount(accountId: string): Promise<string> {
    return this.ctx.marketOfAccount(accountId);
  }

  /** The fee of a fill of `quantity` with this notional (libs/fill-engine's cost model). */
  fee(quantity: bigint, fillNotional: bigint): bigint {
    return fee(this.ctx, quantity, fillNotional);
  }

  /** Places an order (placement.ts placeOrder): filled, resting, or denied with a reason code; an idempotency key makes a retry answer the original. */
  placeOrder(accountId: string, input: PlaceOrder, idempotencyKey?: string, market?: string): Promise<PlaceResult> {
    return placeOrder(this.ctx, this.placements, accountId, input, idempotencyKey, market);
  }

  /** Places a one-cancels-other group (placement.ts placeOcoOrders). */
  placeOcoOrders(accountId: string, inputs: readonly PlaceOrder[], idempotencyKey?: string, market?: string): Promise<PlaceOcoResult> {
    return placeOcoOrders(this.ctx, accountId, inputs, idempotencyKey, market);
  }

  /** The symbols with open orders in `market` (default: the default market). */
  symbolsWithOpenOrders(market = DEFAULT_MARKET): Promise<Set<string>> {
    return symbolsWithOpenOrders(this.ctx, market);
  }

  /** Evaluates the open orders of a symbol in `market` (default: the default market) against its latest bar there (settlement.ts); returns how many filled. */
  matchRestingOrders(symbol: string, market = DEFAULT_MARKET): Promise<number> {
    return matchRestingOrders(this.ctx, market, symbol);
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

  configureAccount(accountId: string, input: unknown): Promise<AccountConfig> {
    return configureAccount(this.ctx, accountId, input);
  }

  accountConfig(accountId: string): Promise<AccountConfig> {
    return accountConfig(this.ctx, accountId);
  }
}
