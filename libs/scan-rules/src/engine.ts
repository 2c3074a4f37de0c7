import { createHash } from 'node:crypto';
import type { Bar } from '@tradeyard/market-data';
import { RecentBars, type CloseSeries } from './recent-bars';
import { compileRule, type CompiledRule, type RuleState } from './rule';

/** A signal as the engine makes it: the gateway contract's Signal, without who posted it (the gateway records that). */
export interface Signal {
  id: string;
  symbol: string;
  /** The expression of the rule that fired. */
  rule: string;
  ruleId?: string;
  /** Open time of the bar it fired on. */
  time: number;
  close: number;
  values: Record<string, number | null>;
}

export interface RuleDefinition {
  id: string;
  expression: string;
  /** The trader who made the rule; null: a shared rule (starter, SCANNER_RULES_FILE, admin or service made). */
  owner?: string | null;
}

/** Why and when a rule stopped being evaluated: it threw on a bar. */
export interface RuleDisabled {
  error: string;
  /** Wall-clock time it was disabled (ISO 8601). */
  at: string;
  symbol: string;
  /** Market time of the bar it threw on (epoch ms). */
  barTime: number;
}

/** A rule as the API lists it. */
export interface RuleStatus {
  id: string;
  expression: string;
  owner: string | null;
  status: 'active' | 'disabled';
  disabled?: RuleDisabled;
}

interface ActiveRule {
  id: string;
  expression: string;
  owner: string | null;
  compiled: CompiledRule;
  /** Per-symbol indicator state. */
  states: Map<string, RuleState>;
  disabled?: RuleDisabled;
}

/** Same rule, symbol and bar → same id, so reposting or rescanning never duplicates a signal. */
export function signalId(rule: Pick<RuleDefinition, 'id' | 'expression'>, symbol: string, time: number): string {
  return createHash('sha256').update(`${rule.id}\n${rule.expression}\n${symbol}\n${time}`).digest('hex').slice(0, 32);
}

export interface SignalQuery {
  symbol?: string;
  from?: number;
  to?: number;
  limit?: number;
}

/**
 * Runs every rule on every bar, keeping per-symbol state, and keeps the most recent signals and
 * closes. Rule edits restart that rule's warm-up; other rules keep their state. A rule that throws
 * on a bar is disabled (reported to onRuleDisabled) and the other rules keep scanning.
 */
export class ScanEngine {
  private readonly rules = new Map<string, ActiveRule>();
  private readonly recent: Signal[] = [];
  private readonly listeners = new Set<(signal: Signal) => void>();
  private readonly disabledListeners = new Set<(rule: RuleStatus) => void>();
  private readonly bars: RecentBars;
  private watchlist: Set<string> | undefined;

  /**
   * `historySize`: how many recent signals `signals()` serves; 0 keeps none (listeners still get every one).
   * `barHistory`: how many recent closes of each symbol `closes()` serves; 0 keeps none.
   */
  constructor(
    private readonly historySize = 10_000,
    barHistory = 5_000,
  ) {
    this.bars = new RecentBars(barHistory);
  }

  /** Adds or replaces (and re-enables) a rule; throws RuleSyntaxError for a bad expression, leaving the rule set unchanged. */
  setRule(rule: RuleDefinition): void {
    const compiled = compileRule(rule.expression);
    this.rules.set(rule.id, { id: rule.id, expression: rule.expression, owner: rule.owner ?? null, compiled, states: new Map() });
  }

  deleteRule(id: string): boolean {
    return this.rules.delete(id);
  }

  getRule(id: string): RuleStatus | undefined {
    const r = this.rules.get(id);
    return r && statusOf(r);
  }

  listRules(): RuleStatus[] {
    return [...this.rules.values()].map(statusOf);
  }

  onRuleDisabled(listener: (rule: RuleStatus) => void): () => void {
    this.disabledListeners.add(listener);
    return () => this.disabledListeners.delete(listener);
  }

  /** The latest closes scanned of `symbol`, oldest first; undefined if none. */
  closes(symbol: string): CloseSeries | undefined {
    return this.bars.get(symbol);
  }

  /** Empty or undefined: scan every symbol. */
  setWatchlist(symbols: string[] | undefined): void {
    this.watchlist = symbols && symbols.length ? new Set(symbols) : undefined;
  }

  /** The symbols scanned; undefined: every symbol of the stream. */
  getWatchlist(): string[] | undefined {
    return this.watchlist && [...this.watchlist];
  }

  onSignal(listener: (signal: Signal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onBar(bar: Bar): void {
    if (this.watchlist && !this.watchlist.has(bar.symbol)) return;
    const latest = this.bars.latestTime(bar.symbol);
    if (latest !== undefined && bar.time < latest) this.rewind(bar.symbol, bar.time);
    this.bars.add(bar);
    for (const rule of this.rules.values()) {
      if (rule.disabled) continue;
      const signal = this.evaluate(rule, bar);
      if (!signal) continue;
      if (this.historySize > 0) {
        this.recent.push(signal);
        if (this.recent.length > this.historySize) this.recent.splice(0, this.recent.length - this.historySize);
      }
      for (const listener of this.listeners) listener(signal);
    }
  }

  /** The signal `rule` fires on `bar`, if any; a rule that throws is disabled instead. */
  private evaluate(rule: ActiveRule, bar: Bar): Signal | undefined {
    try {
      let state = rule.states.get(bar.symbol);
      if (!state) rule.states.set(bar.symbol, (state = rule.compiled.instantiate()));
      if (!state.update(bar)) return undefined;
      return { id: signalId(rule, bar.symbol, bar.time), symbol: bar.symbol, rule: rule.expression, ruleId: rule.id, time: bar.time, close: bar.close, values: state.snapshot() };
    } catch (error) {
      rule.disabled = { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error), at: new Date().toISOString(), symbol: bar.symbol, barTime: bar.time };
      rule.states.clear();
      for (const listener of this.disabledListeners) listener(statusOf(rule));
      return undefined;
    }
  }

  /**
   * The symbol's market went back to `time` (its clock was restarted or rewound): what was seen of
   * it from then on is no longer in its past, so its signals and closes from then are forgotten and
   * every rule warms up again on it.
   */
  private rewind(symbol: string, time: number): void {
    this.bars.dropFrom(symbol, time);
    let kept = 0;
    for (const signal of this.recent) if (signal.symbol !== symbol || signal.time < time) this.recent[kept++] = signal;
    this.recent.length = kept;
    for (const rule of this.rules.values()) rule.states.delete(symbol);
  }

  /** Recent signals, oldest first, the latest `limit` of those matching. */
  signals(query: SignalQuery = {}): Signal[] {
    const from = query.from ?? -Infinity;
    const to = query.to ?? Infinity;
    const matching = this.recent.filter((s) => (!query.symbol || s.symbol === query.symbol) && s.time >= from && s.time <= to);
    return matching.slice(-(query.limit ?? 100));
  }
}

function statusOf(rule: ActiveRule): RuleStatus {
  return { id: rule.id, expression: rule.expression, owner: rule.owner, status: rule.disabled ? 'disabled' : 'active', ...(rule.disabled && { disabled: rule.disabled }) };
}
