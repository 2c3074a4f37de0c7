import { isoDate, type MarketDataProvider } from '@tradeyard/market-data';
import { ScanEngine, type RuleDefinition } from '@tradeyard/scan-rules';
import { allBars } from './feeds';

export interface ScanHit {
  symbol: string;
  time: string;
  rule: string;
  close: number;
}

/**
 * Every firing of every rule over a provider's whole history, in time order: the live scanner's
 * engine fed the history bar by bar, so a rule fires here exactly where it fires live.
 * Throws RuleSyntaxError for a bad expression before reading any bar.
 */
export async function scanHistory(provider: MarketDataProvider, rules: RuleDefinition[]): Promise<ScanHit[]> {
  // Signals go to the listener below as they fire; the engine keeps none of its own, nor closes.
  const engine = new ScanEngine(0, 0);
  for (const rule of rules) engine.setRule(rule);
  const hits: ScanHit[] = [];
  engine.onSignal((signal) => hits.push({ symbol: signal.symbol, time: isoDate(signal.time), rule: signal.rule, close: signal.close }));
  for (const bar of await allBars(provider)) engine.onBar(bar);
  return hits;
}
