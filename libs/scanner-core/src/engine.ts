import { createHash } from 'node:crypto';
import type { Bar } from '@tradeyard/market-data';
import { compileRule, type CompiledRule, type RuleState } from '@tradeyard/scan-rules';
import type { Signal } from '@tradeyard/gateway-contract';

export interface RuleDefinition {
  id: string;
  expression: string;
}

interface ActiveRule extends RuleDefinition {
  compiled: CompiledRule;
  /** Per-symbol indicator state. */
  states: Map<string, RuleState>;
}

/** Same rule, symbol and bar → same id, so reposting or rescanning never duplicates a signal. */
export function signalId(rule: RuleDefinition, symbol: string, time: number): string {
  return createHash('sha256').update(`${rule.id}\n${rule.expression}\n${symbol}\n${time}`).digest('hex').slice(0, 32);
}

export interface SignalQuery {
  symbol?: string;
  from?: number;
  to?: number;
  limit?: number;
}

/**
 * Runs every rule on every bar, keeping per-symbol state, and keeps the most recent signals.
 * Rule edits restart that rule's warm-up; other rules keep their state.
 */
export class ScanEngine {
  private readonly rules = new Map<string, ActiveRule>();
  private readonly recent: Signal[] = [];
  private readonly listeners = new Set<(signal: Signal) => void>();
  private watchlist: Set<string> | undefined;

  /** `historySize`: how many recent signals `signals()` serves; 0 keeps none (listeners still get every one). */
  constructor(private readonly historySize = 10_000) {}

  /** Throws RuleSyntaxError for a bad expression, leaving the rule set unchanged. */
  setRule(rule: RuleDefinition): void {
    const compiled = compileRule(rule.expression);
    this.rules.set(rule.id, { ...rule, compiled, states: new Map() });
  }

  deleteRule(id: string): boolean {
    return this.rules.delete(id);
  }

  getRule(id: string): RuleDefinition | undefined {
    const r = this.rules.get(id);
    return r && { id: r.id, expression: r.expression };
  }

  listRules(): RuleDefinition[] {
    return [...this.rules.values()].map((r) => ({ id: r.id, expression: r.expression }));
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
    for (const rule of this.rules.values()) {
      let state = rule.states.get(bar.symbol);
      if (!state) rule.states.set(bar.symbol, (state = rule.compiled.instantiate()));
      if (!state.update(bar)) continue;
      const signal: Signal = { id: signalId(rule, bar.symbol, bar.time), symbol: bar.symbol, rule: rule.expression, ruleId: rule.id, time: bar.time, close: bar.close, values: state.snapshot() };
      if (this.historySize > 0) {
        this.recent.push(signal);
        if (this.recent.length > this.historySize) this.recent.splice(0, this.recent.length - this.historySize);
      }
      for (const listener of this.listeners) listener(signal);
    }
  }

  /** Recent signals, oldest first, the latest `limit` of those matching. */
  signals(query: SignalQuery = {}): Signal[] {
    const from = query.from ?? -Infinity;
    const to = query.to ?? Infinity;
    const matching = this.recent.filter((s) => (!query.symbol || s.symbol === query.symbol) && s.time >= from && s.time <= to);
    return matching.slice(-(query.limit ?? 100));
  }
}
