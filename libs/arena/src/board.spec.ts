import { buildBoard, comparableBoard, equalWeightBenchmark, roundTrips, type BoardInput } from './board';

const DAY = 86_400_000;
const times = Array.from({ length: 60 }, (_, i) => Date.UTC(2020, 0, 1) + i * DAY);
const curve = (f: (i: number) => number) => times.map((time, i) => ({ time, equity: f(i) }));

const input = (): BoardInput => ({
  runId: 'r1', name: 'test', status: 'finished', mode: 'lockstep', from: '2020-01-01', to: '2020-02-29', currentDate: '2020-02-29',
  stepsDone: 60, stepsTotal: null, symbols: ['A', 'B'], startingCash: 1000, seed: 3, now: 5,
  agents: [
    { name: 'steady', kind: 'rule', accountId: 'arena:r1:steady', equity: curve((i) => 1000 * 1.001 ** i), fills: [] },
    { name: 'noisy', kind: 'llm', accountId: 'arena:r1:noisy', equity: curve((i) => 1000 + (i % 2 ? 15 : -10) + i), fills: [], tokens: 1500, inferenceCost: 0.003 },
    { name: 'idle', kind: 'rule', accountId: 'arena:r1:idle', equity: [], fills: [] },
  ],
  benchmark: { time: times, closes: [times.map((_, i) => 10 + i * 0.1), times.map(() => 50)] },
});

describe('arena board', () => {
  it('ranks by Sharpe, adds the benchmark row, and gives every column for each row', () => {
    const board = buildBoard(input());
    expect(board.rows.map((r) => [r.agent, r.rank, r.kind])).toEqual([
      ['steady', 1, 'rule'], ['noisy', 2, 'llm'], ['idle', null, 'rule'], ['buy-and-hold', null, 'benchmark'],
    ]);
    const keys = board.columns.map((c) => c.key);
    expect(keys).toEqual(expect.arrayContaining(['totalReturn', 'cagr', 'sharpe', 'sortino', 'maxDrawdown', 'calmar', 'winRate', 'trades', 'fees', 'turnover', 'exposure', 'tokens', 'inferenceCost', 'pnlAfterInferenceCost']));
    for (const row of board.rows) expect(Object.keys(row.statistics).sort()).toEqual([...keys].sort());
    expect(board.rows[0].statistics.totalReturn).toBeCloseTo(1.001 ** 59 - 1, 12);
    expect(board.rows[1].statistics).toMatchObject({ tokens: 1500, inferenceCost: 0.003 });
    expect(board.rows[2].statistics.sharpe).toBeNull();
    // Half in A (10 -> 15.9), half in B (flat 50).
    expect(board.rows[3].statistics.finalEquity).toBeCloseTo(500 * 15.9 / 10 + 500, 9);
  });

  it("carries each row's equity curve, sampled to at most 500 points with its first, last, lowest and highest kept", () => {
    const long = Array.from({ length: 5105 }, (_, i) => Date.UTC(2000, 0, 3) + i * DAY);
    const wave = (i: number) => 1000 * (1 + 0.3 * Math.sin(i / 200)) + i * 0.01;
    const board = buildBoard({
      ...input(),
      agents: [{ name: 'wave', kind: 'rule', accountId: 'arena:r1:wave', equity: long.map((time, i) => ({ time, equity: wave(i) })), fills: [] }],
      symbols: ['A'],
      benchmark: { time: long, closes: [long.map((_, i) => 10 + i * 0.01)] },
    });
    const [agent, benchmark] = board.rows;
    for (const row of [agent, benchmark]) {
      expect(row.equity!.length).toBeGreaterThan(300);
      expect(row.equity!.length).toBeLessThanOrEqual(500);
      expect(row.equity![0].time).toBe(long[0]);
      expect(row.equity!.at(-1)!.time).toBe(long.at(-1));
      expect(row.equity!.every((p, k) => k === 0 || p.time > row.equity![k - 1].time)).toBe(true);
    }
    const values = long.map((_, i) => wave(i));
    const shown = agent.equity!.map((p) => p.equity);
    expect(Math.max(...shown)).toBeCloseTo(Math.max(...values), 2);
    expect(Math.min(...shown)).toBeCloseTo(Math.min(...values), 2);
    expect(benchmark.equity!.at(-1)!.equity).toBeCloseTo(benchmark.statistics.finalEquity!, 2);
    // A short run keeps every point; an agent that never took a turn has none.
    const short = buildBoard(input());
    expect(short.rows[0].equity).toEqual(curve((i) => 1000 * 1.001 ** i).map((p) => ({ time: p.time, equity: Math.round(p.equity * 100) / 100 })));
    expect(short.rows.find((r) => r.agent === 'idle')!.equity).toEqual([]);
  });

  it('says for each adjacent pair and against the benchmark whether the difference is luck', () => {
    const board = buildBoard(input());
    expect(board.comparisons.map((c) => [c.first, c.second])).toEqual([['steady', 'noisy'], ['steady', 'buy-and-hold'], ['noisy', 'buy-and-hold']]);
    for (const c of board.comparisons) {
      expect(c.distinguishable).toBe(c.interval !== null && (c.interval[0] > 0 || c.interval[1] < 0));
      if (!c.distinguishable) expect(c.verdict).toMatch(/not distinguishable from luck/);
    }
    expect(buildBoard(input())).toEqual(board);
  });

  it('compares a run and its replay without run ids, account ids and update times', () => {
    const replay = { ...input(), runId: 'r2', now: 9, agents: input().agents.map((a) => ({ ...a, accountId: a.accountId.replace('r1', 'r2') })) };
    expect(comparableBoard(buildBoard(replay))).toEqual(comparableBoard(buildBoard(input())));
  });

  it('makes round trips of fills, the open one marked at the last price', () => {
    const fills = [
      { time: 1, symbol: 'A', side: 'buy' as const, quantity: 2, price: 10, fees: 1 },
      { time: 2, symbol: 'A', side: 'buy' as const, quantity: 2, price: 12, fees: 1 },
      { time: 3, symbol: 'A', side: 'sell' as const, quantity: 4, price: 13, fees: 1 },
      { time: 4, symbol: 'B', side: 'buy' as const, quantity: 1, price: 50, fees: 0 },
    ];
    expect(roundTrips(fills, () => 55, 9)).toEqual([
      { entryTime: 1, exitTime: 3, entryPrice: 11, exitPrice: 13, quantity: 4, side: 'long', fees: 3 },
      { entryTime: 4, exitTime: 9, entryPrice: 50, exitPrice: 55, quantity: 1, side: 'long', fees: 0, open: true },
    ]);
  });

  it('weights the benchmark equally across symbols', () => {
    expect(equalWeightBenchmark({ time: [1, 2], closes: [[10, 20], [5, 5]] }, 100)).toEqual([100, 150]);
  });
});
