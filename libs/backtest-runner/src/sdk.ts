import { progressBar, type WalkForwardSettings } from '@tradeyard/backtest';
import {
  expandDeclared,
  renderPortfolioHtml,
  runPortfolio,
  runPortfolioGrid,
  runPortfolioWalkForward,
  summarizePortfolio,
  type PortfolioData,
  type PortfolioResult,
  type PortfolioSettings,
  type PortfolioSummary,
} from '@tradeyard/portfolio-backtest';
import { formatMicros } from '@tradeyard/money';
import { compileStrategy, type AnyStrategyDefinition } from '@tradeyard/strategy';
import { summaryLine, walkForwardLine, type RunIo, type RunOutput } from './builtin';

export interface SdkRequest {
  definition: AnyStrategyDefinition;
  /** Parameter values: a list of several sweeps a parameter (a grid), `'*'` its declared range. */
  params: Record<string, unknown>;
  data: PortfolioData;
  /** True when the symbols were chosen for this run: they replace the strategy's declared universe. */
  symbolsChosen: boolean;
  options: PortfolioSettings;
  walk?: WalkForwardSettings;
}

/** A portfolio run in one line, as a single-symbol run's. */
const portfolioLine = (s: PortfolioSummary) => summaryLine({ ...s, symbol: s.symbols.length === 1 ? s.symbols[0] : `${s.symbols.length} symbols`, bars: s.steps, strategy: s.strategy });

/** The exact account at the end as decimal strings (six places): cash, the shares held, equity at the last closes. */
const exactLedger = ({ ledger }: PortfolioResult) => ({
  cash: formatMicros(ledger.cash),
  shares: Object.fromEntries(Object.entries(ledger.shares).flatMap(([symbol, shares]) => (shares === 0n ? [] : [[symbol, formatMicros(shares)]]))),
  equity: formatMicros(ledger.equity),
});

/** Lines for the swept parameters a grid found unread. */
const unreadWarnings = (strategy: string, unread: Array<{ param: string; values: unknown[]; kept: unknown }>) =>
  unread.map((u) => `${u.param} is never read by ${strategy}: not swept (kept ${JSON.stringify(u.kept)} of ${JSON.stringify(u.values)})`);

/**
 * A strategy written with @tradeyard/strategy over a portfolio (libs/portfolio-backtest): a
 * walk-forward when `walk` is given, a grid when a parameter has several values, else one backtest
 * with its report. Parameters the strategy never reads are reported as warnings, never swept.
 */
export function runSdk(request: SdkRequest, io: Pick<RunIo, 'stdout'>): RunOutput {
  const definition = request.symbolsChosen ? { ...request.definition, universe: 'all' as const } : request.definition;
  const { data, options, walk } = request;
  const params = expandDeclared(definition, request.params);
  if (walk) {
    const bar = progressBar('walk-forward', io.stdout);
    const result = runPortfolioWalkForward({ data, definition, grid: params, options, walk, onProgress: bar.update });
    bar.done(1);
    return { json: result, line: (out) => walkForwardLine(result, out), warnings: unreadWarnings(definition.name, result.unread) };
  }
  if (Object.values(params).some((v) => Array.isArray(v) && v.length > 1)) {
    const bar = progressBar('grid', io.stdout);
    const json = runPortfolioGrid({ data, definition, grid: params, options, onProgress: bar.update });
    bar.done(json.runs.length);
    const failed = json.runs.filter((r) => r.error).length;
    return {
      json,
      line: (out) => `${json.runs.length} runs (${failed} invalid) written to ${out}; best by Sharpe: ${json.best ? `${JSON.stringify(json.best.params)} ${portfolioLine(json.best.summary!)}` : 'none\n'}`,
      warnings: unreadWarnings(definition.name, json.unread),
    };
  }
  const single = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  const reads = new Set<string>();
  const bar = progressBar('backtest', io.stdout);
  const result = runPortfolio(data, compileStrategy(definition, single, { reads }), { ...options, onProgress: bar.update });
  bar.done(result.steps);
  const unread = Object.keys(single).filter((name) => !reads.has(name));
  return {
    json: { ...summarizePortfolio(result), unreadParams: unread, ledger: exactLedger(result), tradeLog: result.tradeLog, orders: result.orders },
    line: () => portfolioLine(result),
    html: renderPortfolioHtml(result),
    warnings: unread.map((name) => `${name} is never read by ${definition.name}: it changes nothing`),
  };
}
