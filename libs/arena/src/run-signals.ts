import { MAX_SIGNAL_BATCH, type GatewayClient } from '@tradeyard/gateway-contract';
import { isoDate } from '@tradeyard/market-data';
import { defaultRules, ScanEngine, type Signal } from '@tradeyard/scan-rules';
import { barsBetween } from './market';

/**
 * An arena run's own scanner: the scanner's starter rules over the bars of the run's market, each
 * step's signals posted into that market before any agent takes the step. What an agent's
 * search_signals answers is then a function of its market's clock alone, not of when a scanner
 * elsewhere got round to a day, so a recorded run replays exactly.
 */
export class RunSignals {
  // Keeps no history of its own: the gateway keeps the signals, the rules their own state.
  private readonly engine = new ScanEngine(0, 0);
  private readonly fired: Signal[] = [];
  /** The latest bar scanned of each symbol. */
  private readonly scanned = new Map<string, number>();

  constructor(
    /** The runner's admin client in the run's market. */
    private readonly inRun: GatewayClient,
    private readonly symbols: readonly string[],
  ) {
    for (const rule of defaultRules) this.engine.setRule(rule);
    this.engine.onSignal((signal) => this.fired.push(signal));
  }

  /**
   * Scans the bars released since the last step (at the first: the market's whole past, which
   * warms the rules) and posts what fired; returns how many signals were posted.
   */
  async step(): Promise<number> {
    for (const symbol of this.symbols) {
      const last = this.scanned.get(symbol);
      const bars = await barsBetween(this.inRun, symbol, last === undefined ? undefined : isoDate(last));
      for (const bar of bars) {
        if (last !== undefined && bar.time <= last) continue;
        this.engine.onBar(bar);
        this.scanned.set(symbol, bar.time);
      }
    }
    const fired = this.fired.splice(0);
    for (let i = 0; i < fired.length; i += MAX_SIGNAL_BATCH) await this.inRun.postSignals(fired.slice(i, i + MAX_SIGNAL_BATCH));
    return fired.length;
  }
}
