import type { Bar } from '@tradeyard/market-data';
import { compileStrategy, MarketHistory, StrategyDriver, type AnyStrategyDefinition, type CompiledStrategy, type PortfolioView, type SymbolColumns } from '@tradeyard/strategy';

/** One symbol's bars as columns, oldest first (libs/backtest's BarColumns). */
export type SeriesColumns = SymbolColumns & { readonly symbol: string; readonly length: number };

/**
 * A trading strategy over one symbol, as libs/backtest's single-symbol engine and the live agent
 * run it: it sees each bar at its close and answers the fraction of equity it wants invested (0
 * is flat, 1 fully long). The backtester fills that at the next bar's open; the live agent turns
 * it into orders. One instance serves one symbol from its first bar on.
 *
 * The caller may reuse one bar object for every call (the backtester does, to avoid a
 * per-bar allocation): read its fields inside onBar, never keep a reference to it.
 */
export interface Strategy {
  readonly name: string;
  onBar(bar: Bar): number;
  /**
   * The same decisions over a whole series (a backtest has it): answers `decide(i)`, the exposure
   * at the close of bar i, called for i = 0, 1, 2, ... in order. Indicators are computed in their
   * batch form, not bar by bar. Use one of onBar and this per instance.
   */
  overColumns?(bars: SeriesColumns): (i: number) => number;
}

/** A single-symbol engine keeps no portfolio for its strategy: a strategy that reads one cannot run there. */
const noPortfolio = (name: string) => (): PortfolioView => {
  throw new Error(`${name} reads ctx.portfolio, which a single-symbol run does not give: run it as a portfolio backtest`);
};

/** One step of a single-symbol run: the driver's decisions at the current close, as the symbol's exposure (unchanged without a targets decision). */
function stepExposure(driver: StrategyDriver, symbol: string, exposure: number, name: string): number {
  const decisions = driver.step();
  for (let k = 0; k < decisions.length; k++) {
    const decision = decisions[k];
    if (decision.kind !== 'targets') throw new Error(`${name} placed explicit orders: a single-symbol run takes target weights only, run it as a portfolio backtest`);
    exposure = decision.weights[symbol] ?? 0;
  }
  return exposure;
}

/** Bar by bar, over streaming indicators (as a live run feeds the SDK). */
function streamingOnBar(compiled: CompiledStrategy, name: string): Strategy['onBar'] {
  let run: { market: MarketHistory; driver: StrategyDriver } | undefined;
  let exposure = 0;
  return (bar) => {
    if (!run) {
      const market = MarketHistory.streaming([bar.symbol], compiled);
      run = { market, driver: new StrategyDriver(compiled, market, noPortfolio(name)) };
    }
    run.market.histories[0].append(bar);
    run.market.clock.now = bar.time;
    return (exposure = stepExposure(run.driver, bar.symbol, exposure, name));
  };
}

/**
 * A strategy written with @tradeyard/strategy as a single-symbol Strategy: its decisions come
 * from the SDK's StrategyDriver (bar by bar over streaming indicators in onBar, over batch
 * series revealed bar by bar in overColumns: the two agree, the SDK's parity spec), and the
 * weight its targets give the symbol is the exposure, kept until its next targets decision.
 * Explicit orders have no exposure: such a strategy runs as a portfolio backtest only.
 */
export function singleSymbolStrategy(definition: AnyStrategyDefinition, params: Readonly<Record<string, unknown>>, name: string): Strategy {
  const compiled = compileStrategy(definition, params);
  return {
    name,
    onBar: streamingOnBar(compiled, name),
    overColumns(bars) {
      const market = MarketHistory.revealing([bars.symbol], [bars], [compiled.indicators.map(({ spec }) => spec.batch(bars))]);
      const driver = new StrategyDriver(compiled, market, noPortfolio(name));
      const history = market.histories[0];
      let exposure = 0;
      return (i) => {
        history.reveal();
        market.clock.now = bars.time[i];
        return (exposure = stepExposure(driver, bars.symbol, exposure, name));
      };
    },
  };
}
