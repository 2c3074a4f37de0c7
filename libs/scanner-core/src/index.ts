export * from './config';
export * from './feeds';
export * from './history';
export * from './poster';
export * from './service';
// The scan engine and the starter rules live in libs/scan-rules (an arena run scans its own market with them).
export { defaultRules, RecentBars, ScanEngine, signalId, type CloseSeries, type RuleDefinition, type RuleDisabled, type RuleStatus, type SignalQuery } from '@tradeyard/scan-rules';
