import type { Bar } from '@tradeyard/market-data';

/**
 * A trading strategy sees each bar at its close and answers the fraction of equity it wants
 * invested: 0 is flat, 1 fully long. The backtester fills that at the next bar's open; the
 * live agent turns it into orders. Strategies keep their own streaming state, so one
 * instance serves one symbol from its first bar on.
 *
 * The caller may reuse one bar object for every call (the backtester does, to avoid a
 * per-bar allocation): read its fields inside onBar, never keep a reference to it.
 */
export interface Strategy {
  readonly name: string;
  onBar(bar: Bar): number;
}
