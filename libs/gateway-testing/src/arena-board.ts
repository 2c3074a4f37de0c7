import type { ArenaBoard } from '@tradeyard/gateway-contract';

/**
 * A finished arena board as the runner would publish it: two rule agents, one LLM agent and the
 * buy-and-hold benchmark, ranked by Sharpe, with one distinguishable and one indistinguishable
 * comparison. Tests of the store, the MCP tool and the dashboard page read it back.
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
      { rank: 1, agent: 'sma-cross', kind: 'rule', accountId: 'arena-sma', statistics: { totalReturn: 0.4213, sharpe: 0.61, maxDrawdown: 0.232, trades: 48, fees: 120.5 } },
      { rank: 2, agent: 'gpt-local', kind: 'llm', accountId: 'arena-llm', statistics: { totalReturn: 0.3012, sharpe: 0.55, maxDrawdown: 0.301, trades: 17, fees: 42 } },
      { rank: 3, agent: 'rsi-revert', kind: 'rule', accountId: 'arena-rsi', statistics: { totalReturn: -0.052, sharpe: -0.08, maxDrawdown: 0.412, trades: 210, fees: 525.25 } },
      { rank: null, agent: 'buy-and-hold', kind: 'benchmark', statistics: { totalReturn: 0.0954, sharpe: 0.21, maxDrawdown: 0.5678, trades: 1, fees: null } },
    ],
    comparisons: [
      {
        first: 'sma-cross',
        second: 'gpt-local',
        method: 'stationary bootstrap of the Sharpe difference',
        difference: 0.06,
        interval: [-0.21, 0.33],
        distinguishable: false,
        verdict: 'not distinguishable from luck at 95%',
      },
      {
        first: 'gpt-local',
        second: 'rsi-revert',
        method: 'stationary bootstrap of the Sharpe difference',
        difference: 0.63,
        interval: [0.12, 1.1],
        distinguishable: true,
        verdict: 'distinguishable from luck at 95%',
      },
    ],
    updatedAt: 1_700_000_000_000,
    ...overrides,
  };
}
