import { lookaheadCheck, lookaheadText, warmupCheck, warmupText, type LookaheadReport, type WarmupReport } from '@tradeyard/bias-checks';
import type { PortfolioData, PortfolioSettings } from '@tradeyard/portfolio-backtest';
import type { AnyStrategyDefinition } from '@tradeyard/strategy';

/** The bias checks the backtest command runs (`--check=NAME`). */
export const checkNames = ['lookahead', 'warmup'] as const;
export type CheckName = (typeof checkNames)[number];

export interface CheckRequest {
  check: CheckName;
  definition: AnyStrategyDefinition;
  /** One value per parameter (a check runs one combination). */
  params: Record<string, unknown>;
  data: PortfolioData;
  /** True when the symbols were chosen for this run: they replace the strategy's declared universe. */
  symbolsChosen: boolean;
  options: PortfolioSettings;
}

export interface CheckOutput {
  json: LookaheadReport | WarmupReport;
  /** The report for a terminal: what was checked, then each finding (date, symbol, decision or indicator). */
  text: string;
  /** True when the check found something: the command exits 1. */
  found: boolean;
}

/** Runs a bias check of libs/bias-checks on a strategy over portfolio data. */
export function runCheck(request: CheckRequest): CheckOutput {
  const definition = request.symbolsChosen ? { ...request.definition, universe: 'all' as const } : request.definition;
  const input = { data: request.data, definition, params: request.params, options: request.options };
  if (request.check === 'lookahead') {
    const report = lookaheadCheck(input);
    return { json: report, text: lookaheadText(report), found: report.findings.length > 0 };
  }
  const report = warmupCheck(input);
  return { json: report, text: warmupText(report), found: report.findings.length > 0 };
}
