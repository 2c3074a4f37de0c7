import type { ArenaBoard } from '@tradeyard/gateway-contract';
import { sharpeVerdict } from '@tradeyard/performance';

const FROM = Date.UTC(2000, 0, 3);
const TO = Date.UTC(2020, 3, 17);
/**
 * An equity curve of 500 points from the board's first day to its last, growing to `totalReturn`
 * with a swing of its own, in cents, as the runner samples and publishes it.
 */
const sampleEquity = (totalReturn: number, swing: number) =>
  Array.from({ length: 500 }, (_, i) => ({
    time: FROM + Math.round(((TO - FROM) * i) / 499 / 86_400_000) * 86_400_000,
    equity: Math.round(100_000 * (1 + totalReturn) ** (i / 499) * (1 + swing * Math.sin(i / 25)) * 100) / 100,
  }));
const METHOD = 'paired stationary bootstrap of the annualised Sharpe difference (2000 resamples, mean block 10 bars)';
/** A comparison as the runner publishes it: raw numbers, and the verdict written from them. */
const comparison = (first: string, second: string, difference: number, interval: [number, number]) => ({
  first, second, method: METHOD, difference, interval, distinguishable: interval[0] > 0 || interval[1] < 0, verdict: sharpeVerdict(first, second, difference, interval, 0.95),
});

/**
 * A finished arena board as the runner would publish it: two rule agents, one LLM agent and the
 * buy-and-hold benchmark, ranked by Sharpe, each row with its equity curve, and comparisons with
 * the raw numbers of the bootstrap (one distinguishable). Tests of the store, the MCP tool and the
 * arena page read it back.
 */
export function sampleArenaBoard(overrides: Partial<ArenaBoard> = {}): ArenaBoard {
  return {
    runId: 'sample-run',
    name: 'Three agents on the S&P 500',
    status: 'finished',
    mode: 'lockstep',
    from: '2000-01-03',
    to: '2020-04-17',
    currentDate: '2020-04-17',
    stepsDone: 5105,
    stepsTotal: 5105,
    symbols: ['SPX'],
    startingCash: 100_000,
    rankedBy: 'sharpe',
    columns: [
      { key: 'totalReturn', label: 'Total return', format: 'percent', better: 'higher' },
      { key: 'sharpe', label: 'Sharpe', format: 'ratio', better: 'higher' },
      { key: 'maxDrawdown', label: 'Max drawdown', format: 'percent', better: 'lower' },
      { key: 'trades', label: 'Trades', format: 'count', better: 'higher' },
      { key: 'fees', label: 'Fees', format: 'money', better: 'lower' },
    ],
    rows: [
      { rank: 1, agent: 'sma-cross', kind: 'rule', accountId: 'arena-sma', statistics: { totalReturn: 0.4213, sharpe: 0.61, maxDrawdown: 0.232, trades: 48, fees: 120.5 }, equity: sampleEquity(0.4213, 0.04) },
      { rank: 2, agent: 'gpt-local', kind: 'llm', accountId: 'arena-llm', statistics: { totalReturn: 0.3012, sharpe: 0.55, maxDrawdown: 0.301, trades: 17, fees: 42 }, equity: sampleEquity(0.3012, 0.06) },
      { rank: 3, agent: 'rsi-revert', kind: 'rule', accountId: 'arena-rsi', statistics: { totalReturn: -0.052, sharpe: -0.08, maxDrawdown: 0.412, trades: 210, fees: 525.25 }, equity: sampleEquity(-0.052, 0.08) },
      { rank: null, agent: 'buy-and-hold', kind: 'benchmark', statistics: { totalReturn: 0.0954, sharpe: 0.21, maxDrawdown: 0.5678, trades: 1, fees: null }, equity: sampleEquity(0.0954, 0.12) },
    ],
    comparisons: [
      comparison('sma-cross', 'gpt-local', 0.0013853549236125832, [-0.8787422506815571, 0.9113853549236125]),
      comparison('gpt-local', 'rsi-revert', 0.6312740192837461, [0.1203937164519287, 1.1012345678901234]),
      comparison('sma-cross', 'buy-and-hold', 0.4012345678901234, [-0.0523456789012345, 0.8567890123456789]),
    ],
    updatedAt: 1_700_000_000_000,
    ...overrides,
  };
}
