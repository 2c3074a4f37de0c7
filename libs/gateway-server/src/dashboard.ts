import { packageAsset } from '@tradeyard/service-kit';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clockScript } from './dashboard-clock';
import { pageBasics, pageLogin } from './page-session';
import { marketScript } from './dashboard-market';
import { tradingScript } from './dashboard-trading';

const chartFile = 'lightweight-charts.standalone.production.js';
/** The charting library's standalone build (images carry it in `assets/`). */
export const chartLibrary = () => readFileSync(packageAsset(join('assets', chartFile), 'lightweight-charts', join('dist', chartFile)), 'utf8');


/** What every part of the page script uses besides pageBasics (the REST call, the charts' look): the number format. */
const pageHelpers = String.raw`
const fmt = (n) => (n === null || n === undefined ? '' : Number(n).toLocaleString(undefined, { maximumFractionDigits: 2 }));
`;

/** Login, then the parts in order, then the one WebSocket that feeds them. */
const pageStart = String.raw`
async function start() {
  $('#login').hidden = true; $('#app').hidden = false;
  const symbols = await api('GET', '/symbols');
  // The account part first: it fills the order form's symbols, which selecting a symbol sets.
  const trading = startTrading(symbols);
  await Promise.all([trading, startMarket(symbols), startClock(sessionStorage.getItem('role'))]);
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws?token=' + encodeURIComponent(token));
  ws.onopen = () => { $('#status').textContent = 'live'; ws.send(JSON.stringify({ type: 'subscribe', channels: ['quotes', 'signals', 'orders', 'fills', 'clock'] })); };
  ws.onclose = () => { $('#status').textContent = 'disconnected'; };
  ws.onmessage = (m) => {
    const { channel, data } = JSON.parse(m.data);
    if (channel === 'quotes') onMarketQuote(data);
    else if (channel === 'signals') { addSignal(data); onMarketSignal(data); }
    else if (channel === 'orders') refreshOrders();
    else if (channel === 'fills') refreshPortfolio();
    else if (channel === 'clock') renderClock(data);
  };
}
`;

/**
 * The dashboard: one page, live over /ws; every call goes through the public REST API. Its script
 * is built from parts (market view, clock, account) kept in TS modules rather than asset files, so
 * the bundled gateway serves it from memory with nothing to copy beside the bundle; the parts share
 * one <script> scope and the helpers defined here.
 */
export const dashboardHtml = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tradeyard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px system-ui,sans-serif;margin:0;background:#0f1419;color:#d8dee4}
 header{display:flex;gap:1rem;align-items:center;padding:.6rem 1rem;background:#161b22;border-bottom:1px solid #30363d}
 h1{font-size:1.1rem;margin:0} h2{font-size:.95rem;margin:.2rem 0 .5rem}
 main{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:1rem;padding:1rem}
 section{background:#161b22;border:1px solid #30363d;border-radius:6px;padding:.8rem;overflow:auto;max-height:360px}
 section.market{grid-column:1/-1;max-height:none;display:grid;grid-template-columns:minmax(400px,1fr) 3fr;gap:1rem}
 .watch{display:flex;flex-direction:column;min-width:0} .watch .rows{overflow:auto;height:380px} #filter{width:100%;box-sizing:border-box;margin-bottom:.4rem}
 #quotes tbody tr{cursor:pointer} #quotes tr.selected{background:#1f6feb33} #quotes td{white-space:nowrap} #quotes td.name{max-width:8rem;overflow:hidden;text-overflow:ellipsis;text-align:left;color:#8b949e}
 .stale{font-size:.75rem;color:#d29922;border:1px solid #d29922;border-radius:3px;padding:0 .2rem}
 table{width:100%;border-collapse:collapse} td,th{padding:.2rem .4rem;text-align:right;border-bottom:1px solid #21262d}
 td:first-child,th:first-child{text-align:left} input,select,button{font:inherit;padding:.2rem .4rem}
 .up{color:#3fb950}.down{color:#f85149} #status{margin-left:auto;font-size:.85rem} #error,#clock-error{color:#f85149}
 #clock-controls:not([hidden]){display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin-top:.5rem} #clock-controls input[type=number]{width:5rem}
 .order div{margin:.3rem 0} .order label{margin-right:.4rem} .order input[type=number]{width:6rem} [aria-invalid=true]{outline:2px solid #f85149}
</style></head><body>
<header><h1>Tradeyard</h1><span id="status">signed out</span></header>
<form id="login" style="padding:1rem"><input name="username" placeholder="username" value="admin" required>
 <input name="password" type="password" placeholder="password" required> <button>Log in</button> <span id="login-error" class="down"></span></form>
<main id="app" hidden>
 <section class="market">
  <div class="watch"><h2>Watchlist <span id="watch-count"></span></h2>
   <input id="filter" type="search" placeholder="filter by symbol or name" aria-label="filter the watchlist">
   <div class="rows"><table id="quotes"><thead><tr><th>symbol</th><th>name</th><th>price</th><th>change</th></tr></thead><tbody></tbody></table></div></div>
  <div><h2><span id="chart-title"></span> <select id="interval" aria-label="interval"></select> <span id="chart-note" class="down"></span></h2>
   <div id="candles" style="height:400px" data-bars="0" data-markers="0"></div></div>
 </section>
 <section><h2>Market clock</h2><div id="clock-view"></div>
  <div id="clock-controls" hidden>
   <button data-clock="pause">Pause</button> <button data-clock="resume">Resume</button>
   <label>bars <input name="bars" type="number" min="1" step="1" value="1"></label> <button data-clock="step">Step</button>
   <label>bars/s <input name="barsPerSecond" type="number" min="0.01" step="any"></label> <button data-clock="speed">Set speed</button>
   <label>from <input name="startDate" type="date"></label> <label>to <input name="endDate" type="date"></label> <button data-clock="restart">Restart</button>
   <span id="clock-error" role="alert"></span></div>
  <h2 style="margin-top:1rem">New order</h2>
  <form id="order" class="order" novalidate>
   <div><select name="symbol" aria-label="symbol"></select><select name="side" aria-label="side"><option>buy</option><option>sell</option></select>
    <input name="quantity" type="number" step="any" min="0" value="1" aria-label="quantity" style="width:6rem"></div>
   <div><select name="type" aria-label="order type"><option value="market">market</option><option value="limit">limit</option><option value="stop">stop</option><option value="stop_limit">stop-limit</option><option value="trailing_stop">trailing stop</option><option value="market_on_open">market on open</option><option value="market_on_close">market on close</option></select>
    <select name="timeInForce" aria-label="time in force"><option value="gtc">gtc</option><option value="day">day</option><option value="ioc">ioc</option><option value="fok">fok</option><option value="gtd">good till date</option></select>
    <label data-for="expireDate" hidden>until <input name="expireDate" type="date"></label></div>
   <div><label data-for="stopPrice" hidden>stop <input name="stopPrice" type="number" step="any" min="0"></label>
    <label data-for="limitPrice" hidden>limit <input name="limitPrice" type="number" step="any" min="0"></label>
    <label data-for="trail" hidden>trail <input name="trail" type="number" step="any" min="0"> <select name="trailBy" aria-label="trail by"><option value="trailAmount">amount</option><option value="trailPercent">%</option></select></label></div>
   <div>bracket <label>take profit <input name="takeProfitPrice" type="number" step="any" min="0"></label>
    <label>stop loss <input name="stopLossPrice" type="number" step="any" min="0"></label></div>
   <div><button id="place">Place</button> <button id="oco-add" type="button" title="Collect this order into a one-cancels-other group">Add to OCO</button>
    <button id="oco-place" type="button" hidden>Place OCO group</button> <span id="oco-legs"></span> <span id="error" role="alert"></span></div></form></section>
 <section><h2>Positions</h2><div id="cash"></div><table id="positions"><thead><tr><th>symbol</th><th>qty</th><th>avg</th><th>price</th><th>unrealized</th><th>realized</th></tr></thead><tbody></tbody></table></section>
 <section><h2>Equity</h2><div id="chart" style="height:240px"></div></section>
 <section><h2>Orders</h2><table id="orders"><thead><tr><th>time</th><th>symbol</th><th>side</th><th>type</th><th>qty</th><th>price</th><th>status</th><th>fill</th><th></th></tr></thead><tbody></tbody></table></section>
 <section><h2>Signals</h2><table id="signals"><thead><tr><th>date</th><th>symbol</th><th>rule</th><th>close</th></tr></thead><tbody></tbody></table></section>
</main>
<script src="/assets/lightweight-charts.js"></script>
<script>
${pageBasics}
${pageHelpers}
${marketScript}
${clockScript}
${tradingScript}
${pageStart}
${pageLogin}
</script></body></html>`;
