import { bookIntoTrade, openTrade, type OpenTrade, type Trade, tradeBasis, tradePrices } from '@tradeyard/backtest';
import { applyFill, averagePrice, cashAfterFill, magnitude, type EngineFill } from '@tradeyard/fill-engine';
import { isoDate } from '@tradeyard/market-data';
import { divRound, fromMicros, notional, toMicros } from '@tradeyard/money';

/** A fill as the portfolio books it: the fill engine's, with its symbol and the reason tag of its decision. */
export interface PortfolioFill extends EngineFill {
  symbol: string;
  reason: string | null;
}

/** One round trip of one symbol (libs/backtest's Trade: from the fill that opens a position to the fill that closes it, or the end), with the symbol and the reason tags of the decisions that opened and closed it. */
export interface PortfolioTrade extends Trade {
  symbol: string;
  /** long: entered by buying, exited by selling; short: entered by selling short, exited by buying to cover. */
  side: 'long' | 'short';
  /** The reason tag of the decision that closed it; null for none or a trade still open. */
  exitReason: string | null;
}

interface OpenPosition extends OpenTrade {
  side: 'long' | 'short';
  reason: string | null;
}

/** The average price of a position: its cost basis over its shares (micro-units; a short's both negative), 0 when none are held. */
export const averagePriceOf = (cost: bigint, shares: bigint): number => fromMicros(averagePrice({ quantity: shares, cost, realizedPnl: 0n }));

/**
 * The exact account of a portfolio run: one cash balance shared by every symbol, signed shares
 * (negative: short, when the run allows it) and their cost basis per symbol, all in micro-units
 * (libs/money), and each symbol's round trips. A short sale's proceeds go to cash; equity at any
 * time is cash + Σ notional(shares, price) over the symbols held, a short counting negative.
 */
export class PortfolioLedger {
  cash: bigint;
  fees = 0n;
  readonly shares: bigint[];
  /**
   * The signed cost basis of the shares held, fees excluded (libs/fill-engine applyFill, as the
   * broker keeps it): paid for a long, minus received for a short; avg price = cost / shares.
   */
  readonly cost: bigint[];
  /** Symbols with shares (long or short), in the order their positions opened. */
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
    this.fees += fill.fee;
    this.cash = cashAfterFill(this.cash, fill.side, fill.quantity, fill.price, fill.fee);
    const before = this.shares[k];
    // The fee is in cash and the trade log; the cost basis is the notional alone.
    const after = applyFill({ quantity: before, cost: this.cost[k], realizedPnl: 0n }, fill.side, fill.quantity, fill.price, 0n);
    this.shares[k] = after.quantity;
    this.cost[k] = after.cost;
    if (before === 0n) this.held.push(k);
    else if (after.quantity === 0n) this.held.splice(this.held.indexOf(k), 1);
    this.bookTrades(k, barIndex, fill, before, reason);
  }

  /**
   * Books a fill into symbol k's round trips (`before`: the shares held before it). A fill that
   * opens or adds goes to the trade open (a new one when flat); one that reduces goes to it and
   * ends it at zero; one that crosses zero ends it with the part that closes and opens the other
   * side's trade with the rest, the fee split between them pro rata.
   */
  private bookTrades(k: number, barIndex: number, fill: EngineFill, before: bigint, reason: string | null): void {
    const after = this.shares[k];
    if (before === 0n || before < 0n === (fill.side === 'sell')) {
      bookIntoTrade((this.openTrades[k] ??= this.newTrade(barIndex, fill.side, reason)), fill, after);
      return;
    }
    const trade = this.openTrades[k]!;
    const closed = fill.quantity < magnitude(before) ? fill.quantity : magnitude(before);
    if (closed === fill.quantity) {
      bookIntoTrade(trade, fill, after);
      if (after === 0n) this.close(k, barIndex, reason);
      return;
    }
    const closingFee = divRound(fill.fee * closed, fill.quantity);
    bookIntoTrade(trade, { ...fill, quantity: closed, fee: closingFee }, 0n);
    this.close(k, barIndex, reason);
    const opened = (this.openTrades[k] = this.newTrade(barIndex, fill.side, reason));
    bookIntoTrade(opened, { ...fill, quantity: fill.quantity - closed, fee: fill.fee - closingFee }, after);
  }

  private newTrade(barIndex: number, side: 'buy' | 'sell', reason: string | null): OpenPosition {
    return { ...openTrade(barIndex), side: side === 'buy' ? 'long' : 'short', reason };
  }

  /** Cash + Σ shares × price over the symbols held, exactly (a short counts negative); `price(k)` answers each one's mark in micro-units. */
  equity(price: (k: number) => bigint): bigint {
    let total = this.cash;
    for (const k of this.held) total += notional(this.shares[k], price(k));
    return total;
  }

  /** The market value of the short positions, as a positive amount (the short margin's base), at `price(k)`. */
  shortValue(price: (k: number) => bigint): bigint {
    let total = 0n;
    for (const k of this.held) if (this.shares[k] < 0n) total -= notional(this.shares[k], price(k));
    return total;
  }

  /** Average price of symbol k's position (long or short), or 0 when none is held. */
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

  /** Ends symbol k's trade: closed by a fill back to zero, or still open at the end and valued at `lastClose` (a short at minus its value). */
  private close(k: number, exitIndex: number, exitReason: string | null, lastClose?: number): void {
    const trade = this.openTrades[k];
    if (!trade) return;
    const open = lastClose !== undefined;
    const pnl = trade.soldProceeds + (open ? fromMicros(this.shares[k]) * lastClose : 0) - trade.boughtCost;
    if (pnl > 0) this.wins++;
    const time = this.times[k];
    this.tradeLog.push({
      symbol: this.symbols[k],
      side: trade.side,
      entryTime: isoDate(time[trade.entryIndex]),
      exitTime: isoDate(time[exitIndex]),
      ...tradePrices(trade, lastClose, trade.side),
      quantity: trade.maxQuantity,
      pnl,
      return: pnl / tradeBasis(trade, trade.side),
      bars: exitIndex - trade.entryIndex + 1,
      open,
      ...(trade.reason === null ? {} : { reason: trade.reason }),
      exitReason,
    });
    this.openTrades[k] = undefined;
  }
}
