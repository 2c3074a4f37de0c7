import type { Fill, Order } from '@tradeyard/gateway-contract';
import { costModel, type CostModel, type CostSettings, type ShortMargin } from '@tradeyard/fill-engine';
import { toMicros, type Currency } from '@tradeyard/money';
import type { Database } from '@tradeyard/persistence';
import { accountMarkets, pricesOfMarkets, type MarketPrices } from './markets';

export interface PriceSource {
  /** The current price of a symbol (the latest close), or undefined when the symbol is unknown. */
  price(symbol: string): { price: number; time: number; volume?: number } | undefined;
  /**
   * The latest bar of a symbol, when the source has bars: resting orders are matched against its
   * whole range (src/README "Fill timing"). Without it they are matched against the price alone.
   */
  bar?(symbol: string): { time: number; open: number; high: number; low: number; close: number; volume: number } | undefined;
}

/** Costs (libs/fill-engine): the fields beyond fees in bps, a fixed fee and slippage in bps default to 0. */
export interface BrokerSettings extends Partial<CostSettings> {
  startingCash: number;
  feeBps: number;
  feeFixed: number;
  slippageBps: number;
  /** Largest notional of one order; 0 means no limit. */
  maxOrderNotional: number;
  /** Largest notional of one position after a fill; 0 means no limit. */
  maxPositionNotional: number;
  /** The operator's short-selling policy: false forbids shorts on every account (no account setting overrides it); true lets each account opt out. */
  allowShort: boolean;
  /** Margin of short positions (src/margin.ts); default DEFAULT_SHORT_MARGIN (Reg T 50 %, maintenance 30 %). */
  shortMargin?: ShortMargin;
  /**
   * Group commit of placements (README "Throughput"): the most orders one transaction takes
   * (default 256) and the most that may wait for one (default 4096; beyond it a placement is
   * refused at once as overloaded).
   */
  maxBatch?: number;
  maxQueued?: number;
}

/** The currency of every account, price and amount of this broker. */
export const CURRENCY: Currency = 'USD';

/** What the broker publishes after a commit, through the outbox (see libs/persistence/src/outbox.ts). */
export type BrokerEvent = { channel: 'orders'; accountId: string; data: Order } | { channel: 'fills'; accountId: string; data: Fill };

/** What every capability of the broker (placement, settlement, cancellation, queries, checks) works with. */
export interface BrokerContext {
  readonly db: Database;
  /** The prices of a market (throws BrokerError not_found for one the broker does not serve): see markets.ts. */
  readonly pricesIn: (market: string) => PriceSource;
  /** The market an account trades in (cached: an account never moves): see markets.ts. */
  readonly marketOfAccount: (accountId: string) => Promise<string>;
  readonly settings: BrokerSettings;
  readonly costs: CostModel;
  readonly maxOrderNotional: bigint;
  readonly maxPositionNotional: bigint;
  /** Called after a commit that wrote events, so the relay can publish them at once. */
  readonly committed: () => void;
}

export function brokerContext(db: Database, prices: PriceSource | MarketPrices, settings: BrokerSettings, committed: () => void): BrokerContext {
  const { startingCash: _cash, maxOrderNotional: _order, maxPositionNotional: _position, allowShort: _short, shortMargin: _margin, maxBatch: _batch, maxQueued: _queued, ...costs } = settings;
  return {
    db,
    pricesIn: pricesOfMarkets(prices),
    marketOfAccount: accountMarkets(db),
    settings,
    costs: costModel(costs),
    maxOrderNotional: toMicros(settings.maxOrderNotional),
    maxPositionNotional: toMicros(settings.maxPositionNotional),
    committed,
  };
}
