import type { RuleDefinition } from './engine';

/** The scanner's rule ids: the gateway reserves them for the scanner's credential in the default market (gateway-contract SCANNER_RULE_IDS). */
export type StarterRuleId = 'rsi-oversold' | 'golden-cross' | 'volume-spike' | 'breakout-20';

/** The expression of each starter rule: what a scanner runs when no SCANNER_RULES_FILE is given, so a fresh start shows signals. */
const starterExpressions: Record<StarterRuleId, string> = {
  'rsi-oversold': 'rsi(14) < 30',
  'golden-cross': 'cross_above(sma(close, 50), sma(close, 200))',
  'volume-spike': 'volume > 2 * sma(volume, 20)',
  'breakout-20': 'close > highest(high, 20)[1]',
};

/** The starter rules: the scanner's default, and what an arena run scans its own market with. */
export const defaultRules: RuleDefinition[] = (Object.keys(starterExpressions) as StarterRuleId[]).map((id) => ({ id, expression: starterExpressions[id] }));
