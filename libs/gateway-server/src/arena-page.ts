import { boardViewScript } from './arena-board-view';
import { schemaFormScript } from './arena-form';
import { pageBasics, pageLogin } from './page-session';

/** The runs, their progress and (for an admin) starting and stopping them; the chosen run's board. */
const runsScript = String.raw`
let chosen = new URLSearchParams(location.search).get('run');
let runs = [];
let shownUpdate; // the chosen board's updatedAt as drawn: a board is fetched again only when it changed
let started; // the run this page started, whose board comes after its first step
const stopping = new Set();
const isAdmin = () => sessionStorage.getItem('role') === 'admin';
function renderRuns() {
  $('#no-runs').hidden = runs.length > 0;
  $('#runs tbody').innerHTML = runs.map((r) => {
    const total = r.stepsTotal === null ? '' : '/' + r.stepsTotal;
    const bar = r.stepsTotal ? '<progress max="' + esc(r.stepsTotal) + '" value="' + esc(r.stepsDone) + '"></progress> ' : '';
    const stop = isAdmin() && r.status === 'running'
      ? ' <button data-stop="' + esc(r.runId) + '"' + (stopping.has(r.runId) ? ' disabled>Stopping…' : '>Stop') + '</button>' : '';
    return '<tr data-run="' + esc(r.runId) + '" data-status="' + esc(r.status) + '"' + (r.runId === chosen ? ' class="chosen"' : '') + '><td>' + esc(r.name) +
      '<div class="dates">' + esc(r.from) + ' to ' + esc(r.to) + '</div></td><td class="progress"><div class="state">' + esc(r.status) + stop + '</div>' + bar +
      '<span class="steps">' + esc(r.stepsDone) + total + '</span></td></tr>';
  }).join('');
}
async function refreshRuns() {
  runs = await api('GET', '/arena/runs');
  if (!chosen && runs.length) chosen = runs[0].runId;
  renderRuns();
}
async function refreshBoard() {
  const summary = runs.find((r) => r.runId === chosen);
  if (!chosen || (summary && summary.updatedAt === shownUpdate)) return;
  try {
    const board = await api('GET', '/arena/runs/' + encodeURIComponent(chosen));
    $('#board-error').textContent = '';
    renderBoard(board);
    shownUpdate = board.updatedAt;
  } catch (err) {
    $('#board-error').textContent = err.status === 404 && chosen === started ? 'Run ' + chosen + ' is starting: its board shows after its first step.' : err.message;
  }
}
const refresh = () => refreshRuns().then(refreshBoard);
function choose(runId) {
  chosen = runId;
  shownUpdate = undefined;
  history.replaceState(null, '', '?run=' + encodeURIComponent(runId));
  renderRuns();
  return refreshBoard();
}
async function stopRun(runId) {
  stopping.add(runId);
  renderRuns();
  try {
    await api('DELETE', '/arena/runs/' + encodeURIComponent(runId));
    $('#runs-error').textContent = '';
  } catch (err) {
    $('#runs-error').textContent = err.message;
  } finally {
    stopping.delete(runId);
  }
  await refresh();
}
$('#runs').onclick = (e) => {
  const stop = e.target.closest('button[data-stop]');
  if (stop) return stopRun(stop.dataset.stop);
  const row = e.target.closest('tr[data-run]');
  if (row) choose(row.dataset.run);
};
`;

/** The start form (admins only): built from the config's schema, submitted to the trading agent through the gateway. */
const startScript = String.raw`
async function startStartForm() {
  if (!isAdmin()) return $('#start-section').remove();
  $('#start-section').hidden = false;
  let form;
  try {
    form = schemaForm(await api('GET', '/arena/config-schema'), $('#config-fields'));
  } catch (err) {
    $('#start-error').textContent = 'Runs start on the trading agent: ' + err.message;
    $('#start-button').disabled = true;
    return;
  }
  $('#start-form').onsubmit = async (e) => {
    e.preventDefault();
    $('#start-error').textContent = '';
    $('#start-status').textContent = '';
    $('#start-button').disabled = true;
    try {
      const run = await api('POST', '/arena/runs', form.read());
      started = run.id;
      $('#start-status').textContent = 'Started ' + run.id + '.';
      await refreshRuns();
      await choose(run.id);
    } catch (err) {
      const unplaced = form.show(err.details || []);
      $('#start-error').textContent = unplaced.length ? unplaced.join('; ') : err.details?.length ? '' : err.message;
    } finally {
      $('#start-button').disabled = false;
    }
  };
}
async function start() {
  $('#login').hidden = true; $('#app').hidden = false; $('#status').textContent = 'signed in as ' + (sessionStorage.getItem('role') || 'viewer');
  await refresh();
  await startStartForm();
  // A running arena republishes its progress about every second and its board every 50 steps.
  const poll = () => setTimeout(() => refresh().catch(() => undefined).finally(poll), runs.some((r) => r.status === 'running') ? 1000 : 5000);
  poll();
}
`;

/**
 * The arena page (/arena): start a run (admins), the runs with their progress and a Stop button
 * (admins), and the chosen run's board: the ranking with the benchmark row marked, every agent's
 * equity curve, and each comparison's verdict on luck. Like the dashboard, it signs in on the page
 * (the same session token) and reads everything through the public REST API; the table scrolls in
 * its own box, so the page never scrolls sideways, from a phone to a wide screen.
 */
export const arenaPageHtml = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tradeyard arena</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px system-ui,sans-serif;margin:0;background:#0f1419;color:#d8dee4}
 header{display:flex;flex-wrap:wrap;gap:.3rem 1rem;align-items:center;padding:.6rem 1rem;background:#161b22;border-bottom:1px solid #30363d}
 header a{color:#58a6ff} h1{font-size:1.1rem;margin:0} h2{font-size:.95rem;margin:.2rem 0 .5rem} #status{margin-left:auto;font-size:.85rem}
 main{display:grid;grid-template-columns:minmax(280px,1fr) minmax(0,3fr);gap:1rem;padding:1rem;align-items:start}
 @media (max-width:900px){main{grid-template-columns:minmax(0,1fr)}}
 .side{display:flex;flex-direction:column;gap:1rem;min-width:0}
 section{background:#161b22;border:1px solid #30363d;border-radius:6px;padding:.8rem;min-width:0;overflow-wrap:break-word}
 table{width:100%;border-collapse:collapse} td,th{padding:.25rem .45rem;text-align:right;border-bottom:1px solid #21262d}
 #runs td,#runs th{text-align:left;vertical-align:top} #runs tr[data-run]{cursor:pointer} #runs tr.chosen{background:#1f2a37}
 #runs .dates{color:#9da7b1;font-size:.8rem} #runs progress{width:5rem;vertical-align:middle;margin-right:.3rem} #runs td.progress{white-space:nowrap;width:1%}
 #runs .state{margin-bottom:.2rem} #runs .state button{margin-left:.4rem;padding:0 .5rem}
 .table-wrap{overflow-x:auto;max-width:100%} #board th{white-space:normal;vertical-align:bottom;min-width:5.5rem;overflow-wrap:normal} #board td{white-space:nowrap}
 #board td:nth-child(-n+3),#board th:nth-child(-n+3){text-align:left}
 #board td:nth-child(2),#board th:nth-child(2){position:sticky;left:0;background:#161b22;z-index:1}
 th.ranked{color:#58a6ff} tr.benchmark td{font-style:italic;color:#9da7b1;border-top:2px solid #30363d}
 #curves{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,260px),1fr));gap:.8rem}
 figure{margin:0;min-width:0} figcaption{font-size:.85rem;margin-bottom:.2rem} .curve{height:170px}
 #comparisons{padding-left:1.2rem} #comparisons li{margin:.3rem 0} .luck{color:#d29922} .skill{color:#3fb950} #meta,#method,#curves-note{color:#9da7b1;margin-bottom:.6rem}
 #board-error,#login-error,#runs-error,#start-error,.field-error{color:#f85149} input,select,button{font:inherit;padding:.2rem .4rem;max-width:100%}
 summary{cursor:pointer;font-weight:600} #start-form fieldset{border:1px solid #30363d;border-radius:4px;margin:.4rem 0;padding:.3rem .6rem;min-width:0}
 #start-form label.field{display:flex;flex-wrap:wrap;gap:.2rem .5rem;align-items:center;margin:.3rem 0}
 #start-form label.field .name{flex:0 0 8rem;color:#9da7b1} #start-form label.field input{flex:1 1 8rem;min-width:0}
 #start-form label.field input[type=checkbox]{flex:0 0 auto} .field-error{flex-basis:100%;font-size:.85rem} .field-error:empty{display:none}
 #start-form ol.items{padding-left:1.2rem;margin:.2rem 0} #start-form .actions{margin-top:.6rem} [aria-invalid=true]{outline:2px solid #f85149}
</style></head><body>
<header><h1>Tradeyard arena</h1><a href="/">dashboard</a><span id="status">signed out</span></header>
<form id="login" style="padding:1rem"><input name="username" placeholder="username" value="admin" required>
 <input name="password" type="password" placeholder="password" required> <button>Log in</button> <span id="login-error"></span></form>
<main id="app" hidden>
 <div class="side">
  <section id="start-section" hidden><details id="start"><summary>Start a run</summary>
   <form id="start-form" novalidate><div id="config-fields"></div>
    <div class="actions"><button id="start-button">Start</button> <span id="start-status" role="status"></span></div></form></details>
   <div id="start-error" role="alert"></div></section>
  <section><h2>Runs</h2><table id="runs"><thead><tr><th>run</th><th>progress</th></tr></thead><tbody></tbody></table>
   <p id="no-runs" hidden>No arena run has published a board yet.</p><div id="runs-error" role="alert"></div></section>
 </div>
 <section><h2 id="board-title">Leaderboard</h2><div id="meta"></div><div id="board-error" role="alert"></div>
  <div class="table-wrap"><table id="board"><thead></thead><tbody></tbody></table></div>
  <h2 style="margin-top:1rem">Equity</h2><div id="curves-note">Each agent's equity (solid) over buy-and-hold of the same symbols (dashed).</div><div id="curves"></div>
  <p id="no-curves" hidden>No equity yet.</p>
  <h2 style="margin-top:1rem">Is each difference more than luck?</h2><div id="method"></div><ul id="comparisons"></ul></section>
</main>
<script src="/assets/lightweight-charts.js"></script>
<script>
${pageBasics}
${schemaFormScript}
${boardViewScript}
${runsScript}
${startScript}
${pageLogin}
</script></body></html>`;
