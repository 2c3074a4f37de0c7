import { formatArenaValue } from '@tradeyard/gateway-contract';

/**
 * The arena page's board (browser script, part of its one <script>): the run's progress, the
 * ranking table, each agent's equity curve over its run's buy-and-hold, and each luck verdict as
 * the board words it, once per pair. Statistics are formatted by the contract's formatArenaValue,
 * whose source is shipped to the browser so that the page, the MCP tool and REST clients show the
 * same figures. It uses the page's shared helpers ($, esc, chartOptions) and lightweight-charts.
 */
export const boardViewScript = String.raw`
const formatValue = (${formatArenaValue.toString()});
function renderMeta(b) {
  const steps = b.stepsDone + (b.stepsTotal === null ? '' : '/' + b.stepsTotal) + ' steps';
  $('#meta').textContent = b.status + ' · ' + b.mode + ' · ' + b.from + ' to ' + b.to + (b.currentDate ? ' · as of ' + b.currentDate : '') +
    ' · ' + steps + ' · ' + b.symbols.length + ' symbol(s) · starting cash ' + formatValue(b.startingCash, 'money') + (b.error ? ' · ' + b.error : '');
}
function renderTable(b) {
  $('#board thead').innerHTML = '<tr><th>rank</th><th>agent</th><th>kind</th>' + b.columns.map((c) =>
    '<th data-key="' + esc(c.key) + '"' + (c.key === b.rankedBy ? ' class="ranked" title="ranked by this, ' + esc(c.better) + ' is better"' : ' title="' + esc(c.better) + ' is better"') + '>' + esc(c.label) + '</th>').join('') + '</tr>';
  const rows = [...b.rows].sort((x, y) => (x.rank ?? Infinity) - (y.rank ?? Infinity));
  $('#board tbody').innerHTML = rows.map((r) => '<tr data-agent="' + esc(r.agent) + '"' + (r.kind === 'benchmark' ? ' class="benchmark"' : '') + '><td>' +
    (r.rank === null ? 'benchmark' : esc(r.rank)) + '</td><td>' + esc(r.agent) + '</td><td>' + esc(r.kind) + '</td>' +
    b.columns.map((c) => '<td>' + esc(formatValue(r.statistics[c.key], c.format)) + '</td>').join('') + '</tr>').join('');
}
// agent -> its figure and chart, for the run shown: a new board updates them, another run replaces them.
const curves = new Map();
let curvesRun;
const chartPoints = (equity) => (equity || []).map((p) => ({ time: Math.floor(p.time / 1000), value: p.equity }));
function curveOf(agent) {
  const figure = document.createElement('figure');
  figure.dataset.agent = agent;
  figure.innerHTML = '<figcaption></figcaption><div class="curve"></div>';
  // autoSize: the chart follows its box, so the grid of curves reflows with the page.
  const chart = LightweightCharts.createChart(figure.querySelector('.curve'), {
    ...chartOptions, autoSize: true, timeScale: { ...chartOptions.timeScale, timeVisible: false },
    localization: { priceFormatter: (price) => Math.round(price).toLocaleString('en-US') },
  });
  const benchmark = chart.addSeries(LightweightCharts.LineSeries, { color: '#8b949e', lineWidth: 1, lineStyle: LightweightCharts.LineStyle.Dashed, priceLineVisible: false, lastValueVisible: false });
  const line = chart.addSeries(LightweightCharts.LineSeries, { color: '#58a6ff', lineWidth: 2 });
  return { figure, chart, line, benchmark };
}
function renderCurves(b) {
  const agents = b.rows.filter((r) => r.kind !== 'benchmark').sort((x, y) => (x.rank ?? Infinity) - (y.rank ?? Infinity));
  const benchmark = chartPoints(b.rows.find((r) => r.kind === 'benchmark')?.equity);
  for (const [agent, c] of curves) {
    if (curvesRun === b.runId && agents.some((r) => r.agent === agent)) continue;
    c.chart.remove();
    c.figure.remove();
    curves.delete(agent);
  }
  curvesRun = b.runId;
  for (const row of agents) {
    if (!curves.has(row.agent)) curves.set(row.agent, curveOf(row.agent));
    const c = curves.get(row.agent);
    const points = chartPoints(row.equity);
    c.line.setData(points);
    c.benchmark.setData(benchmark);
    c.chart.timeScale().fitContent();
    c.figure.querySelector('figcaption').textContent = row.agent + ' · ' + formatValue(row.statistics.totalReturn, 'percent');
    c.figure.dataset.points = String(points.length);
    $('#curves').append(c.figure); // in rank order
  }
  $('#no-curves').hidden = agents.some((r) => (r.equity || []).length > 0);
}
function renderComparisons(b) {
  const methods = [...new Set(b.comparisons.map((c) => c.method))];
  $('#method').textContent = methods.length ? 'By ' + methods.join('; ') + '.' : '';
  $('#comparisons').innerHTML = b.comparisons.length
    ? b.comparisons.map((c) => '<li class="' + (c.distinguishable ? 'skill' : 'luck') + '" data-pair="' + esc(c.first) + ' vs ' + esc(c.second) + '">' + esc(c.verdict) + '</li>').join('')
    : '<li>No comparison yet.</li>';
}
function renderBoard(b) {
  $('#board-title').textContent = b.name;
  renderMeta(b);
  renderTable(b);
  renderCurves(b);
  renderComparisons(b);
}
`;
