import { robustnessHtml, robustnessReport, robustnessText } from './robustness';

describe('robustnessReport', () => {
  const day = 86_400_000;
  const equity = [100_000_000_000n, 101_000_000_000n, 99_500_000_000n, 102_000_000_000n, 103_000_000_000n];
  const trades = [
    { symbol: 'AAPL', reason: 'breakout', entryTime: 0, exitTime: 2 * day, pnl: -500_000_000n, return: -0.01 },
    { symbol: 'MSFT', entryTime: day, exitTime: 4 * day, pnl: 3_500_000_000n, return: 0.07 },
  ];
  const report = robustnessReport({ initialCash: 100_000_000_000n, equity, trades }, { runs: 200, seed: 4, blockLength: 2, tradeMethod: 'shuffle' });

  it('runs both simulations with one seed and runs, the trades over the curve\'s years, and both breakdowns', () => {
    const { returns, trades: byTrades } = report.monteCarlo;
    expect(returns).toMatchObject({ method: 'returns-block', blockLength: 2, runs: 200, seed: 4, steps: 4, years: 4 / 252 });
    expect(byTrades).toMatchObject({ method: 'trades-shuffle', runs: 200, seed: 4, steps: 2, years: 4 / 252 });
    expect(byTrades!.finalEquity.p50).toBe(103_000);
    expect(report.bySymbol.rows.map((r) => r.key)).toEqual(['MSFT', 'AAPL']);
    expect(report.byReason.rows.map((r) => r.key)).toEqual(['(none)', 'breakout']);
  });

  it('has no trade simulation without trades', () => {
    expect(robustnessReport({ initialCash: 100, equity: [100, 101], trades: [] }).monteCarlo.trades).toBeNull();
  });

  it('renders as text and as HTML sections', () => {
    const text = robustnessText(report);
    expect(text).toContain('Monte Carlo of the bar returns, stationary block bootstrap (mean block 2 bars): 200 runs of 4 returns, seed 4');
    expect(text).toContain('Monte Carlo of the trade order, shuffled: 200 runs of 2 trades, seed 4; probability of loss 0.00%');
    expect(text).toMatch(/^Trades by symbol\n/m);
    const html = robustnessHtml(report);
    expect(html.match(/<table>/g)).toHaveLength(4);
    expect(html).toContain('<td>breakout</td>');
  });
});
