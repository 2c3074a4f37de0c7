import { groupBySymbol, loadSp500, loadStocks, type Bar } from '@tradeyard/market-data';
import { compileStrategy, defineStrategy } from '@tradeyard/strategy';
import { portfolioData, portfolioReport, renderPortfolioHtml, runPortfolio } from './index';

const data = portfolioData(new Map<string, Bar[]>([['SPX', loadSp500()], ...groupBySymbol(loadStocks())]));
const equalWeight = defineStrategy({
  name: 'equal-weight',
  rebalance: 'monthly',
  decide: (ctx) => ctx.targets(Object.fromEntries(ctx.universe.map((s) => [s, 1 / ctx.universe.length])), { reason: 'rebalance' }),
});

describe('portfolio reports', () => {
  const result = runPortfolio(data, compileStrategy(equalWeight), { feeBps: 1 });

  it('hands libs/performance the curve and the trades with their symbol and reason', () => {
    const report = portfolioReport(result);
    expect(report.bars).toBe(result.steps);
    expect(report.statistics.totalReturn).toBeCloseTo(result.totalReturn, 12);
    expect(report.series.equity).toEqual(result.equity);
  });

  it("renders HTML naming each trade's symbol and reason", () => {
    const html = renderPortfolioHtml(result);
    expect(html).toContain('<h1>Backtest: equal-weight on 6 symbols</h1>');
    for (const symbol of ['SPX', 'AAPL', 'MSFT']) expect(html).toContain(`<td>${symbol}</td>`);
    expect(html).toContain('<td>rebalance</td>');
    expect(html).toContain('<svg');
  });
});
