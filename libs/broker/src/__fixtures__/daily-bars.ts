import type { BrokerSettings, PriceSource } from '../broker';

/** Daily bars of SPX the test releases one by one: the quote is the latest close, resting orders match the whole bar. */
export class DailyBars implements PriceSource {
  latest = { time: Date.UTC(2024, 0, 2), open: 100, high: 100, low: 100, close: 100, volume: 1_000_000 };
  price(symbol: string) {
    return symbol === 'SPX' ? { price: this.latest.close, time: this.latest.time, volume: this.latest.volume } : undefined;
  }
  bar(symbol: string) {
    return symbol === 'SPX' ? this.latest : undefined;
  }
  /** The next day's bar. */
  next(open: number, high: number, low: number, close: number, volume = 1_000_000) {
    this.latest = { time: this.latest.time + 86_400_000, open, high, low, close, volume };
  }
}

/** 10,000 of cash, a fee of 0.01 a share with a minimum of 1, no slippage, no limits, no shorts. */
export const dailySettings: BrokerSettings = {
  startingCash: 10_000, feeBps: 0, feeFixed: 0, feePerShare: 0.01, feeMinimum: 1, slippageBps: 0, maxOrderNotional: 0, maxPositionNotional: 0, allowShort: false,
};
