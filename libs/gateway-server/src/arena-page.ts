import { formatArenaValue } from '@tradeyard/gateway-contract';
import { pageBasics, pageLogin } from './page-session';

/**
 * The arena page (/arena): the runs, and the chosen run's board with the benchmark row marked and
 * each comparison's verdict on luck. Like the dashboard, it signs in on the page (the same
 * session token) and reads everything through the public REST API. Statistics are formatted by
 * the contract's formatArenaValue, whose source is shipped to the browser so that the page, the
 * MCP tool and REST clients show the same figures.
 */
export const arenaPageHtml = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tradeyard arena</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px system-ui,sans-serif;margin:0;background:#0f1419;color:#d8dee4}
 header{display:flex;gap:1rem;align-items:center;padding:.6rem 1rem;background:#161b22;border-bottom:1px solid #30363d}
 header a{color:#58a6ff} h1{font-size:1.1rem;margin:0} h2{font-size:.95rem;margin:.2rem 0 .5rem}
 main{display:grid;grid-template-columns:minmax(300px,1fr) 3fr;gap:1rem;padding:1rem}
 section{background:#161b22;border:1px solid #30363d;border-radius:6px;padding:.8rem;overflow:auto}
 table{width:100%;border-collapse:collapse} td,th{padding:.25rem .45rem;text-align:right;border-bottom:1px solid #21262d;white-space:nowrap}
 td:nth-child(-n+3),th:nth-child(-n+3){text-align:left} #runs td,#runs th{text-align:left;white-space:normal}
 #runs tr[data-run]{cursor:pointer} #runs tr.chosen{background:#1f2a37}
 th.ranked{color:#58a6ff} tr.benchmark td{font-style:italic;color:#9da7b1;border-top:2px solid #30363d}
 .tag{font-size:.75rem;padding:0 .35rem;border-radius:3px;background:#30363d;margin-left:.3rem}
 #comparisons li{margin:.3rem 0} .luck{color:#d29922} .skill{color:#3fb950} #meta{color:#9da7b1;margin-bottom:.6rem}
 #board-error,#login-error{color:#f85149} input,button{font:inherit;padding:.2rem .4rem}
</style></head><body>
<header><h1>Tradeyard arena</h1><a href="/">dashboard</a><span id="status" style="margin-left:auto;font-size:.85rem">signed out</span></header>
<form id="login" style="padding:1rem"><input name="username" placeholder="username" value="admin" required>
 <input name="password" type="password" placeholder="password" required> <button>Log in</button> <span id="login-error"></span></form>
<main id="app" hidden>
 <section><h2>Runs</h2><table id="runs"><thead><tr><th>run</th><th>status</th><th>dates</th></tr></thead><tbody></tbody></table>
  <p id="no-runs" hidden>No arena run has published a board yet.</p></section>
 <section><h2 id="board-title">Leaderboard</h2><div id="meta"></div><div id="board-error" role="alert"></div>
  <table id="board"><thead></thead><tbody></tbody></table>
  <h2 style="margin-top:1rem">Is each difference more than luck?</h2><ul id="comparisons"></ul></section>
</main>
<script>
${pageBasics}
const formatValue = (${formatArenaValue.toString()});
async function api(path) {
  const res = await fetch('/api/v1' + path, { headers: { authorization: 'Bearer ' + token } });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(data.message || res.statusText), { status: res.status });
  return data;
}
let chosen = new URLSearchParams(location.search).get('run');
async function refreshRuns() {
  const runs = await api('/arena/runs');
  $('#no-runs').hidden = runs.length > 0;
  if (!chosen && runs.length) chosen = runs[0].runId;
  $('#runs tbody').innerHTML = runs.map((r) => '<tr data-run="' + esc(r.runId) + '"' + (r.runId === chosen ? ' class="chosen"' : '') + '><td>' + esc(r.name) +
    '</td><td>' + esc(r.status) + '</td><td>' + esc(r.from) + ' to ' + esc(r.to) + '</td></tr>').join('');
}
function renderBoard(b) {
  $('#board-title').textContent = b.name;
  $('#meta').textContent = b.status + ' · ' + b.mode + ' · ' + b.from + ' to ' + b.to + (b.currentDate ? ' · as of ' + b.currentDate : '') +
    ' · ' + b.stepsDone + (b.stepsTotal === null ? '' : '/' + b.stepsTotal) + ' steps · ' + b.symbols.length + ' symbol(s) · starting cash ' + formatValue(b.startingCash, 'money') + (b.error ? ' · ' + b.error : '');
  $('#board thead').innerHTML = '<tr><th>rank</th><th>agent</th><th>kind</th>' + b.columns.map((c) =>
    '<th data-key="' + esc(c.key) + '"' + (c.key === b.rankedBy ? ' class="ranked" title="ranked by this, ' + esc(c.better) + ' is better"' : ' title="' + esc(c.better) + ' is better"') + '>' + esc(c.label) + '</th>').join('') + '</tr>';
  const rows = [...b.rows].sort((x, y) => (x.rank ?? Infinity) - (y.rank ?? Infinity));
  $('#board tbody').innerHTML = rows.map((r) => '<tr data-agent="' + esc(r.agent) + '"' + (r.kind === 'benchmark' ? ' class="benchmark"' : '') + '><td>' +
    (r.rank === null ? 'benchmark' : esc(r.rank)) + '</td><td>' + esc(r.agent) + '</td><td>' + esc(r.kind) + '</td>' +
    b.columns.map((c) => '<td>' + esc(formatValue(r.statistics[c.key], c.format)) + '</td>').join('') + '</tr>').join('');
  $('#comparisons').innerHTML = b.comparisons.length ? b.comparisons.map((c) => '<li class="' + (c.distinguishable ? 'skill' : 'luck') + '"><b>' + esc(c.first) + '</b> vs <b>' + esc(c.second) +
    '</b>: difference ' + esc(c.difference) + (c.interval ? ', interval [' + esc(c.interval[0]) + ', ' + esc(c.interval[1]) + ']' : '') + ' (' + esc(c.method) + '): <span class="verdict">' + esc(c.verdict) + '</span></li>').join('')
    : '<li>No comparison yet.</li>';
}
async function refreshBoard() {
  if (!chosen) return;
  try {
    const board = await api('/arena/runs/' + encodeURIComponent(chosen));
    $('#board-error').textContent = '';
    renderBoard(board);
  } catch (err) {
    $('#board-error').textContent = err.message;
  }
}
async function start() {
  $('#login').hidden = true; $('#app').hidden = false; $('#status').textContent = 'signed in';
  await refreshRuns();
  await refreshBoard();
  // A running arena republishes its board as it goes.
  setInterval(() => refreshRuns().then(refreshBoard).catch(() => undefined), 5000);
}
$('#runs').onclick = (e) => {
  const row = e.target.closest('tr[data-run]');
  if (!row) return;
  chosen = row.dataset.run;
  history.replaceState(null, '', '?run=' + encodeURIComponent(chosen));
  document.querySelectorAll('#runs tr').forEach((tr) => tr.classList.toggle('chosen', tr === row));
  refreshBoard();
};
${pageLogin}
</script></body></html>`;
