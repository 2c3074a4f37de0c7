import { packageAsset } from '@tradeyard/service-kit';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const chartFile = 'lightweight-charts.standalone.production.js';
/** The charting library's standalone build (images carry it in `assets/`). */
export const chartLibrary = () => readFileSync(packageAsset(join('assets', chartFile), 'lightweight-charts', join('dist', chartFile)), 'utf8');

/** The dashboard: one page, live over /ws; every call goes through the public REST API. */
export const dashboardHtml = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tradeyard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px system-ui,sans-serif;margin:0;background:#0f1419;color:#d8dee4}
 header{display:flex;gap:1rem;align-items:center;padding:.6rem 1rem;background:#161b22;border-bottom:1px solid #30363d}
 h1{font-size:1.1rem;margin:0} h2{font-size:.95rem;margin:.2rem 0 .5rem}
 main{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:1rem;padding:1rem}
 section{background:#161b22;border:1px solid #30363d;border-radius:6px;padding:.8rem;overflow:auto;max-height:360px}
 table{width:100%;border-collapse:collapse} td,th{padding:.2rem .4rem;text-align:right;border-bottom:1px solid #21262d}
 td:first-child,th:first-child{text-align:left} input,select,button{font:inherit;padding:.2rem .4rem}
 .up{color:#3fb950}.down{color:#f85149} #status{margin-left:auto;font-size:.85rem} #error{color:#f85149}
 .order div{margin:.3rem 0} .order label{margin-right:.4rem} .order input[type=number]{width:6rem} [aria-invalid=true]{outline:2px solid #f85149}
</style></head><body>
<header><h1>Tradeyard</h1><span id="status">signed out</span></header>
<form id="login" style="padding:1rem"><input name="username" placeholder="username" value="admin" required>
 <input name="password" type="password" placeholder="password" required> <button>Log in</button> <span id="login-error" class="down"></span></form>
<main id="app" hidden>
 <section><h2>Watchlist</h2><table id="quotes"><thead><tr><th>symbol</th><th>date</th><th>price</th></tr></thead><tbody></tbody></table>
  <h2 style="margin-top:1rem">New order</h2>
  <form id="order" class="order" novalidate>
   <div><select name="symbol" aria-label="symbol"></select><select name="side" aria-label="side"><option>buy</option><option>sell</option></select>
    <input name="quantity" type="number" step="any" min="0" value="1" aria-label="quantity" style="width:6rem"></div>
   <div><select name="type" aria-label="order type"><option value="market">market</option><option value="limit">limit</option><option value="stop">stop</option><option value="stop_limit">stop-limit</option><option value="trailing_stop">trailing stop</option></select>
    <select name="timeInForce" aria-label="time in force"><option value="gtc">gtc</option><option value="day">day</option><option value="ioc">ioc</option><option value="fok">fok</option></select></div>
   <div><label data-for="stopPrice" hidden>stop <input name="stopPrice" type="number" step="any" min="0"></label>
    <label data-for="limitPrice" hidden>limit <input name="limitPrice" type="number" step="any" min="0"></label>
    <label data-for="trail" hidden>trail <input name="trail" type="number" step="any" min="0"> <select name="trailBy" aria-label="trail by"><option value="trailAmount">amount</option><option value="trailPercent">%</option></select></label></div>
   <div>bracket <label>take profit <input name="takeProfitPrice" type="number" step="any" min="0"></label>
    <label>stop loss <input name="stopLossPrice" type="number" step="any" min="0"></label></div>
   <div><button id="place">Place</button> <span id="error" role="alert"></span></div></form></section>
 <section><h2>Positions</h2><div id="cash"></div><table id="positions"><thead><tr><th>symbol</th><th>qty</th><th>avg</th><th>price</th><th>unrealized</th><th>realized</th></tr></thead><tbody></tbody></table></section>
 <section><h2>Equity</h2><div id="chart" style="height:240px"></div></section>
 <section><h2>Orders</h2><table id="orders"><thead><tr><th>time</th><th>symbol</th><th>side</th><th>type</th><th>qty</th><th>price</th><th>status</th><th>fill</th><th></th></tr></thead><tbody></tbody></table></section>
 <section><h2>Signals</h2><table id="signals"><thead><tr><th>date</th><th>symbol</th><th>rule</th><th>close</th></tr></thead><tbody></tbody></table></section>
</main>
<script src="/assets/lightweight-charts.js"></script>
<script>
const $ = (s) => document.querySelector(s);
let token = sessionStorage.getItem('token');
const esc = (v) => String(v ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const fmt = (n) => (n === null || n === undefined ? '' : Number(n).toLocaleString(undefined, { maximumFractionDigits: 2 }));
async function api(method, path, body, headers = {}) {
  const res = await fetch('/api/v1' + path, { method, headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json', ...headers }, body: body && JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(data.message || res.statusText), { details: data.details || [] });
  return data;
}
const quotes = new Map();
function renderQuotes() {
  $('#quotes tbody').innerHTML = [...quotes.values()].map((q) => '<tr><td>' + esc(q.symbol) + '</td><td>' + esc(q.date || new Date(q.time).toISOString().slice(0, 10)) + '</td><td>' + fmt(q.price ?? q.close) + '</td></tr>').join('');
}
// A tick moves every symbol of the universe: redraw the table at most every 250 ms, not once per quote.
let quotesRedraw;
function renderQuotesSoon() {
  quotesRedraw ??= setTimeout(() => { quotesRedraw = undefined; renderQuotes(); }, 250);
}
async function refreshPortfolio() {
  const p = await api('GET', '/portfolio');
  $('#cash').textContent = 'cash ' + fmt(p.cash) + ' · equity ' + fmt(p.equity) + ' · realized ' + fmt(p.realizedPnl) + ' · fees paid ' + fmt(p.feesPaid) + ' ' + p.currency;
  $('#positions tbody').innerHTML = p.positions.map((x) => '<tr data-symbol="' + esc(x.symbol) + '"><td>' + esc(x.symbol) + '</td><td>' + fmt(x.quantity) + '</td><td>' + fmt(x.avgPrice) + '</td><td>' + fmt(x.marketPrice) + '</td><td class="' + (x.unrealizedPnl >= 0 ? 'up' : 'down') + '">' + fmt(x.unrealizedPnl) + '</td><td>' + fmt(x.realizedPnl) + '</td></tr>').join('');
  const points = (await api('GET', '/portfolio/equity')).map((e) => ({ time: Math.floor(e.time / 1000), value: e.equity }));
  const unique = points.filter((pt, i) => i === points.length - 1 || pt.time < points[i + 1].time);
  series.setData(unique);
}
// The prices an order type carries, as the orders table shows them.
const orderPrice = (o) => [o.stopPrice != null && 'stop ' + fmt(o.stopPrice), o.limitPrice != null && 'limit ' + fmt(o.limitPrice),
  o.trailPercent != null && 'trail ' + fmt(o.trailPercent) + ' %', o.trailAmount != null && 'trail ' + fmt(o.trailAmount)].filter(Boolean).join(' · ');
async function refreshOrders() {
  const orders = await api('GET', '/orders?limit=50');
  $('#orders tbody').innerHTML = orders.map((o) => '<tr data-id="' + esc(o.id) + '" data-type="' + esc(o.type) + '"><td>' + esc(o.createdAt.slice(11, 19)) + '</td><td>' + esc(o.symbol) + '</td><td>' + esc(o.side) + '</td><td>' + esc(o.type.replace('_', ' ') + (o.parentId ? ' (bracket)' : '')) + '</td><td>' + fmt(o.quantity) + '</td><td>' + orderPrice(o) + '</td><td title="' + esc(o.reason) + '">' + esc(o.status) + '</td><td>' + fmt(o.avgFillPrice) + '</td><td>' + (o.status === 'accepted' || o.status === 'partially_filled' ? '<button data-cancel="' + esc(o.id) + '">Cancel</button>' : '') + '</td></tr>').join('');
}
function addSignal(s) {
  const row = '<tr><td>' + esc(new Date(s.time).toISOString().slice(0, 10)) + '</td><td>' + esc(s.symbol) + '</td><td>' + esc(s.rule) + '</td><td>' + fmt(s.close) + '</td></tr>';
  $('#signals tbody').insertAdjacentHTML('afterbegin', row);
}
let series;
async function start() {
  $('#login').hidden = true; $('#app').hidden = false;
  const chart = LightweightCharts.createChart($('#chart'), { layout: { background: { color: '#161b22' }, textColor: '#d8dee4' }, grid: { vertLines: { color: '#21262d' }, horzLines: { color: '#21262d' } }, timeScale: { timeVisible: true, secondsVisible: true } });
  series = chart.addSeries(LightweightCharts.LineSeries, { color: '#58a6ff' });
  const symbols = await api('GET', '/symbols');
  $('#order [name=symbol]').innerHTML = symbols.map((s) => '<option>' + esc(s.symbol) + '</option>').join('');
  for (const q of await api('GET', '/quotes')) quotes.set(q.symbol, q);
  renderQuotes();
  (await api('GET', '/signals?limit=30')).reverse().forEach(addSignal);
  await Promise.all([refreshPortfolio(), refreshOrders()]);
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws?token=' + encodeURIComponent(token));
  ws.onopen = () => { $('#status').textContent = 'live'; ws.send(JSON.stringify({ type: 'subscribe', channels: ['quotes', 'signals', 'orders', 'fills'] })); };
  ws.onclose = () => { $('#status').textContent = 'disconnected'; };
  ws.onmessage = (m) => {
    const { channel, data } = JSON.parse(m.data);
    if (channel === 'quotes') { quotes.set(data.symbol, data); renderQuotesSoon(); }
    else if (channel === 'signals') addSignal(data);
    else if (channel === 'orders') refreshOrders();
    else if (channel === 'fills') refreshPortfolio();
  };
  setInterval(() => refreshPortfolio().catch(() => undefined), 5000);
}
$('#login').onsubmit = async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const res = await fetch('/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: f.get('username'), password: f.get('password') }) });
  const data = await res.json();
  if (!res.ok) { $('#login-error').textContent = data.message; return; }
  token = data.token; sessionStorage.setItem('token', token); start();
};
// The price fields each order type takes (the contract's placeOrderSchema); the others are hidden and not sent.
const priceFields = { market: [], limit: ['limitPrice'], stop: ['stopPrice'], stop_limit: ['stopPrice', 'limitPrice'], trailing_stop: ['trail'] };
const showPriceFields = () => {
  const wanted = priceFields[$('#order [name=type]').value];
  document.querySelectorAll('#order [data-for]').forEach((label) => { label.hidden = !wanted.includes(label.dataset.for); });
};
$('#order [name=type]').onchange = showPriceFields;
$('#order').onsubmit = async (e) => {
  e.preventDefault(); $('#error').textContent = '';
  document.querySelectorAll('#order [aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  const f = new FormData(e.target);
  // An empty field is left out, so the server names what a type still needs.
  const number = (name) => (String(f.get(name) ?? '').trim() === '' ? undefined : Number(f.get(name)));
  const order = { symbol: f.get('symbol'), side: f.get('side'), type: f.get('type'), timeInForce: f.get('timeInForce'), quantity: number('quantity') };
  for (const field of priceFields[order.type]) {
    if (field === 'trail') order[f.get('trailBy')] = number('trail');
    else order[field] = number(field);
  }
  order.takeProfitPrice = number('takeProfitPrice');
  order.stopLossPrice = number('stopLossPrice');
  try {
    const placed = await api('POST', '/orders', order, { 'idempotency-key': crypto.randomUUID() });
    if (placed.status === 'denied' || placed.status === 'rejected') $('#error').textContent = placed.status + ': ' + placed.reason;
    await Promise.all([refreshOrders(), refreshPortfolio()]);
  } catch (err) {
    // The server's 400 names each field and rule: show the sentence and mark the fields.
    $('#error').textContent = err.message;
    for (const { field } of err.details || []) {
      const name = field.startsWith('body.') ? field.slice(5) : field;
      const input = $('#order [name="' + (name === 'trailAmount' || name === 'trailPercent' ? 'trail' : name) + '"]');
      if (input) input.setAttribute('aria-invalid', 'true');
    }
  }
};
$('#orders').onclick = async (e) => {
  const id = e.target.dataset && e.target.dataset.cancel;
  if (!id) return;
  try { await api('DELETE', '/orders/' + id); await refreshOrders(); } catch (err) { $('#error').textContent = err.message; }
};
if (token) start().catch(() => { sessionStorage.removeItem('token'); location.reload(); });
</script></body></html>`;
