import { memorizationGap, memorizationGapHtml, memorizationGapText } from './memorization';
import { performanceReport } from './report';

// Three runs of one agent, hand-computable: on the real history it makes 10 % a day twice
// (+21 %, no drawdown); on the disguised series (the same prices) only +5 % then -5 %; on the
// synthetic path nothing. A trade each on the real and the disguised series, none on the synthetic.
const day = 86_400_000;
const time = [0, day, 2 * day];
const trade = (exitPrice: number) => ({ entryTime: 0, exitTime: 2 * day, entryPrice: 100, exitPrice, quantity: 1, side: 'long' as const });
const real = performanceReport({ name: 'SPX', time, equity: [100, 110, 121], trades: [trade(121)] });
const disguised = performanceReport({ name: 'PRBA', time, equity: [100, 105, 99.75], trades: [trade(99.75)] });
const synthetic = performanceReport({ name: 'PRBB', time, equity: [100, 100, 100] });

describe('memorization gap', () => {
  const gap = memorizationGap(real, synthetic, disguised);
  const row = (key: string) => gap.rows.find((r) => r.key === key)!;

  it('gives each statistic on the three runs and the gaps of the real run to the others', () => {
    expect(gap.names).toEqual({ real: 'SPX', synthetic: 'PRBB', disguised: 'PRBA' });
    expect(gap.rows.map((r) => r.key)).toEqual(['totalReturn', 'cagr', 'sharpe', 'sortino', 'maxDrawdown', 'winRate', 'trades']);
    const total = row('totalReturn');
    expect(total.label).toBe('Total return');
    expect([total.real, total.synthetic, total.disguised]).toEqual([expect.closeTo(0.21, 12), 0, expect.closeTo(-0.0025, 12)]);
    expect(total.realMinusSynthetic).toBeCloseTo(0.21, 12);
    expect(total.realMinusDisguised).toBeCloseTo(0.2125, 12);
    // Drawdown: none on the real run, (105 − 99.75) / 105 = 5 % on the disguised one.
    expect(row('maxDrawdown').realMinusDisguised).toBeCloseTo(-0.05, 12);
    expect(row('trades')).toMatchObject({ real: 1, synthetic: 0, disguised: 1, realMinusSynthetic: 1, realMinusDisguised: 0 });
    // Every gap is the difference of the reports' own statistics.
    for (const r of gap.rows) {
      expect(r.real).toBe(real.statistics[r.key]);
      if (r.real !== null && r.disguised !== null) expect(r.realMinusDisguised).toBe(r.real - r.disguised);
    }
  });

  it('is null where a statistic is undefined on either side', () => {
    // No trades on the synthetic run: no win rate, so no gap to it.
    expect(row('winRate')).toMatchObject({ real: 1, synthetic: null, disguised: 0, realMinusSynthetic: null, realMinusDisguised: 1 });
  });

  it('reads as a text table and an HTML section, names escaped', () => {
    const text = memorizationGapText(gap).split('\n');
    expect(text[0]).toBe('Memorization probe');
    expect(text[1]).toMatch(/^Statistic\s+SPX\s+PRBB\s+PRBA\s+Real − synthetic\s+Real − disguised$/);
    expect(text[2]).toMatch(/^Total return\s+21\.00%\s+0\.00%\s+-0\.25%\s+21\.00%\s+21\.25%$/);
    expect(text.at(-2)).toBe(gap.verdict);
    expect(text.at(-1)).toContain('a gap there means it recalls the history');
    const html = memorizationGapHtml(memorizationGap({ ...real, name: '<b>real</b>' }, synthetic, disguised));
    expect(html).toContain('<h2>Memorization probe</h2>');
    expect(html).toContain('<th>&#60;b&#62;real&#60;/b&#62;</th>');
    expect(html).toContain('<td>Total return</td><td>21.00%</td><td>0.00%</td><td>-0.25%</td><td>21.00%</td><td>21.25%</td>');
    expect(html).not.toContain('<b>');
  });

  it('says whether the real − disguised Sharpe gap is distinguishable from luck, pairing bar returns by position', () => {
    // Two bar returns each: too few to resample.
    expect(gap.recall).toMatchObject({ interval: null, sharedBars: 2, distinguishable: false });
    expect(gap.verdict).toBe('SPX vs PRBA: not distinguishable from luck (only 2 paired bar returns): no sign of recall');
    // 300 days on other dates (the disguised run is 28 years later): the same returns give no gap,
    // returns 1 % a day better on every bar give one the bootstrap cannot miss.
    const n = 301;
    const returns = Array.from({ length: n - 1 }, (_, k) => 0.01 * Math.sin(k * 1.7));
    const run = (name: string, start: number, extra: number) => {
      const equity = [100];
      for (const r of returns) equity.push(equity.at(-1)! * (1 + r + extra));
      return performanceReport({ name, time: equity.map((_, k) => start + k * day), equity });
    };
    const same = memorizationGap(run('SPX', 0, 0), synthetic, run('PRBA', 10_000 * day, 0));
    expect(same.recall).toMatchObject({ sharpeDifference: 0, sharedBars: n - 1, distinguishable: false });
    expect(same.verdict).toBe('SPX vs PRBA: Sharpe difference 0.00 (95% interval 0.00 to 0.00): not distinguishable from luck: no sign it recalls the history');
    const recalled = memorizationGap(run('SPX', 0, 0.01), synthetic, run('PRBA', 10_000 * day, 0));
    expect(recalled.recall.distinguishable).toBe(true);
    expect(recalled.recall.interval![0]).toBeGreaterThan(0);
    expect(recalled.verdict).toMatch(/: distinguishable from luck: the agent trades the same prices differently under the real name and dates, a sign it recalls the history$/);
    expect(memorizationGapHtml(recalled)).toContain(`<p class="no">${recalled.verdict}</p>`);
  });
});
