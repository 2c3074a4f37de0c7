// The performance report over the S&P 500 history (prints; not a test): three rule strategies
// backtested with 1 bp fees, each turned into a full report (libs/performance) with its trades'
// MAE/MFE and the index's buy and hold as the benchmark, ranked by Sharpe with the seeded
// bootstrap, and written as one standalone HTML file. Prints the time of each step, the HTML's
// size and the ranking's luck verdicts.
// Run: npx tsx tools/bench/performance-report.ts [OUT.html]   (default /tmp/performance-sp500-3runs.html)
import { writeFileSync } from 'node:fs';
import { workspaceLibs } from './workspace-libs';

const lib = workspaceLibs('bench-performance');
const bt = lib<typeof import('@tradeyard/backtest')>('../../libs/backtest/src/index.ts');
const md = lib<typeof import('@tradeyard/market-data')>('../../libs/market-data/src/index.ts');
const pf = lib<typeof import('@tradeyard/performance')>('../../libs/performance/src/index.ts');
const st = lib<typeof import('@tradeyard/strategies')>('../../libs/strategies/src/index.ts');

const out = process.argv[2] ?? '/tmp/performance-sp500-3runs.html';
const specs = [
  { name: 'sma-cross', fast: 50, slow: 200 },
  { name: 'sma-cross', fast: 20, slow: 100 },
  { name: 'rsi-reversion', period: 14, buyBelow: 30, sellAbove: 70 },
] as const;

const bars = bt.toColumns(md.loadSp500());
const clock = () => performance.now();
let t = clock();
const results = specs.map((spec) => bt.runBacktest(bars, st.createStrategy(spec), { feeBps: 1 }));
const backtestMs = clock() - t;
t = clock();
const reports = results.map((result) => bt.backtestReport(result, { bars, trials: specs.length }));
const benchmark = pf.performanceReport(pf.buyAndHold('SPX buy and hold', bars.time, bars.close, 100_000));
const reportMs = clock() - t;
t = clock();
const ranking = pf.rankRuns(reports, benchmark, { statistic: 'sharpe', seed: 1 });
const rankingMs = clock() - t;
t = clock();
const html = pf.renderComparisonHtml({ title: `S&P 500 ${reports[0].from} to ${reports[0].to}: three rule strategies`, reports, benchmark, ranking });
const htmlMs = clock() - t;
writeFileSync(out, html);

console.log(`${bars.length} bars, ${reports.length} runs + benchmark, ${pf.STATISTICS.length} statistics each`);
console.log(`backtests ${backtestMs.toFixed(0)} ms, reports ${reportMs.toFixed(0)} ms, ranking (${ranking.comparisons.length} bootstraps x ${ranking.iterations}) ${rankingMs.toFixed(0)} ms, HTML ${htmlMs.toFixed(0)} ms`);
console.log(`${out}: ${Buffer.byteLength(html).toLocaleString('en-US')} bytes`);
for (const comparison of ranking.comparisons) console.log(comparison.verdict);
