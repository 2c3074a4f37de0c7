import { bookIntoTrade, openTrade, type OpenTrade, type Trade, tradePrices } from '@tradeyard/backtest';
import type { EngineFill } from '@tradeyard/fill-engine';
import { isoDate } from '@tradeyard/market-data';
import { divRound, fromMicros, MICROS, notional, toMicros } from '@tradeyard/money';

/** A fill as the portfolio books it: the fill engine's, with its symbol and the reason tag of its decision. */
export interface PortfolioFill extends EngineFill {
  symbol: string;
  reason: string | null;
}

/** One round trip of one symbol (libs/backtest's Trade: from the fill that opens a position to the fill that closes it, or the end), with the symbol and the reason tags of the decisions that opened and closed it. */
export interface PortfolioTrade extends Trade {
  symbol: string;
  /** The reason tag of the decision that closed it; null for none or a trade still open. */
  exitReason: string | null;
}

interface OpenPosition extends OpenTrade {
  reason: string | null;
}

/** The average price of a position: its cost over its shares (micro-units), 0 when none are held. */
export const averagePriceOf = (cost: bigint, shares: bigint): number => (shares === 0n ? 0 : fromMicros(divRound(cost * MICROS, shares)));

/**
 * The exact account of a portfolio run: one cash balance shared by every symbol, shares and the
 * cost of the shares held per symbol, all in micro-units (libs/money), and each symbol's round
 * trips. Equity at any time is cash + Σ notional(shares, price) over the symbols held.
 */
export class PortfolioLedger {
  cash: bigint;
  fees = 0n;
  readonly shares: bigint[];
  /** The notional paid for the shares held (fees excluded), reduced pro rata by sells: avg price = cost / shares. */
  readonly cost: bigint[];
  /** Symbols with shares, in the order they were bought. */
  readonly held: number[] = [];
  readonly tradeLog: PortfolioTrade[] = [];
  wins = 0;
  private readonly openTrades: (OpenPosition | undefined)[];

  constructor(
    initialCash: number,
    private readonly symbols: readonly string[],
    /** Bar times of each symbol, for the trade log. */
    private readonly times: readonly Float64Array[],
  ) {
    this.cash = toMicros(initialCash);
    this.shares = symbols.map(() => 0n);
    this.cost = symbols.map(() => 0n);
    this.openTrades = symbols.map(() => undefined);
  }

  /** Books a fill of symbol k at its bar `barIndex`. */
  book(k: number, barIndex: number, fill: EngineFill, reason: string | null): void {
    const exact = notional(fill.quantity, fill.price);
    this.fees += fill.fee;
    const before = this.shares[k];
    if (fill.side === 'buy') {
      this.cash -= exact + fill.fee;
      this.shares[k] = before + fill.quantity;
      this.cost[k] += exact;
      if (before === 0n) this.held.push(k);
      bookIntoTrade((this.openTrades[k] ??= { ...openTrade(barIndex), reason }), fill, this.shares[k]);
      return;
    }
    this.cash += exact - fill.fee;
    this.shares[k] = before - fill.quantity;
    this.cost[k] -= divRound(this.cost[k] * fill.quantity, before);
    const trade = this.openTrades[k];
    if (trade) bookIntoTrade(trade, fill, this.shares[k]);
    if (this.shares[k] === 0n) {
      this.held.splice(this.held.indexOf(k), 1);
      this.close(k, barIndex, reason);
    }
  }

  /** Cash + Σ shares × price over the symbols held, exactly; `price(k)` answers each one's mark in micro-units. */
  equity(price: (k: number) => bigint): bigint {
    let total = this.cash;
    for (const k of this.held) total += notional(this.shares[k], price(k));
    return total;
  }

  /** Average price paid for symbol k's shares, or 0 when none are held. */
  averagePrice(k: number): number {
    return averagePriceOf(this.cost[k], this.shares[k]);
  }

  /** Closes every trade still open at the end, valued at each symbol's last close. */
  finish(lastIndex: (k: number) => number, lastClose: (k: number) => number): void {
    for (const k of this.held) this.close(k, lastIndex(k), null, lastClose(k));
  }

  get trades(): number {
    return this.tradeLog.length;
  }

  /** Ends symbol k's trade: closed by a sell, or still open at the end and valued at `lastClose`. */
  private close(k: number, exitIndex: number, exitReason: string | null, lastClose?: number): void {
    const trade = this.openTrades[k];
    if (!trade) return;
    const open = lastClose !== undefined;
    const pnl = trade.soldProceeds + (open ? fromMicros(this.shares[k]) * lastClose : 0) - trade.boughtCost;
    if (pnl > 0) this.wins++;
    const time = this.times[k];
    this.tradeLog.push({
      symbol: this.symbols[k],
      entryTime: isoDate(time[trade.entryIndex]),
      exitTime: isoDate(time[exitIndex]),
      ...tradePrices(trade, lastClose),
      quantity: trade.maxQuantity,
      pnl,
      return: pnl / trade.boughtCost,
      bars: exitIndex - trade.entryIndex + 1,
      open,
      ...(trade.reason === null ? {} : { reason: trade.reason }),
      exitReason,
    });
    this.openTrades[k] = undefined;
  }
}
