/**
 * The dashboard's market view (browser script, part of dashboardHtml's one <script>): the
 * watchlist over the whole universe and the selected symbol's candles, volume and signal markers.
 * It uses the page's shared helpers ($, esc, fmt, api, chartOptions) and only public REST routes.
 */
export const marketScript = String.raw`
// symbol -> {info (GET /symbols), price, date, prevClose}; the watchlist's rows, in the universe's order.
const market = new Map();
const selected = { symbol: undefined, interval: undefined, signals: [], loads: 0 };
let candles, volume, markers;

function applySymbols(infos) {
  for (const info of infos) {
    const row = market.get(info.symbol);
    if (row) row.info = info; else market.set(info.symbol, { info });
  }
}
// A quote on a later date makes the price it replaces the previous close; an earlier date means the
// replay restarted, and the previous close is unknown until the next day.
function applyQuote(q) {
  const row = market.get(q.symbol);
  if (!row) return;
  if (row.date !== undefined && q.date !== row.date) row.prevClose = q.date > row.date ? row.price : undefined;
  row.price = q.price; row.date = q.date;
}
// GET /quotes has no previous close: the last two bars of a symbol give it. Asked only for the
// rows shown, each symbol once, four requests at a time, so 100s of symbols do not flood the gateway;
// later days fill it from the quotes themselves.
const closesAsked = new Set();
const closesQueue = [];
let closesWorkers = 0;
async function loadPreviousCloses() {
  for (let symbol = closesQueue.shift(); symbol !== undefined; symbol = closesQueue.shift()) {
    const bars = await api('GET', '/bars/' + encodeURIComponent(symbol) + '?limit=2').catch(() => []);
    const row = market.get(symbol);
    // Only while the quote shown is still that last bar's (the replay may have moved on meanwhile).
    if (bars.length === 2 && row.date === new Date(bars[1].time).toISOString().slice(0, 10)) row.prevClose = bars[0].close;
  }
}
function askPreviousCloses(symbols) {
  for (const symbol of symbols) if (!closesAsked.has(symbol)) { closesAsked.add(symbol); closesQueue.push(symbol); }
  while (closesWorkers < 4 && closesQueue.length) {
    closesWorkers++;
    loadPreviousCloses().finally(() => { closesWorkers--; renderWatchlistSoon(); });
  }
}

const ROWS_SHOWN = 200;
const matchesFilter = (row, filter) => !filter || row.info.symbol.toLowerCase().includes(filter) || row.info.name.toLowerCase().includes(filter);
function renderWatchlist() {
  const filter = $('#filter').value.trim().toLowerCase();
  const matching = [...market.values()].filter((row) => matchesFilter(row, filter));
  // Drawing thousands of rows each tick would stall the page: the first ROWS_SHOWN, and the filter finds the rest.
  const rows = matching.slice(0, ROWS_SHOWN);
  $('#watch-count').textContent = (rows.length < matching.length ? rows.length + ' shown, ' : '') + matching.length + ' of ' + market.size;
  askPreviousCloses(rows.map((row) => row.info.symbol));
  $('#quotes tbody').innerHTML = rows.map((row) => {
    const { symbol, name, stale, error } = row.info;
    const change = row.prevClose ? (row.price - row.prevClose) / row.prevClose * 100 : undefined;
    return '<tr data-symbol="' + esc(symbol) + '" data-date="' + esc(row.date) + '"' + (symbol === selected.symbol ? ' class="selected"' : '') + '>' +
      '<td>' + esc(symbol) + (stale ? ' <span class="stale" title="' + esc(error) + '">stale</span>' : '') + '</td>' +
      '<td class="name" title="' + esc(name) + '">' + esc(name) + '</td><td>' + fmt(row.price) + '</td>' +
      '<td class="' + (change === undefined ? '' : change >= 0 ? 'up' : 'down') + '">' + (change === undefined ? '' : (change >= 0 ? '+' : '') + change.toFixed(2) + ' %') + '</td></tr>';
  }).join('') || '<tr><td colspan="4">no symbol matches</td></tr>';
}
// A tick moves every symbol of the universe: redraw the table at most every 250 ms, not once per quote.
let watchlistRedraw;
function renderWatchlistSoon() {
  watchlistRedraw ??= setTimeout(() => { watchlistRedraw = undefined; renderWatchlist(); }, 250);
}

const seconds = (ms) => Math.floor(ms / 1000);
const toCandle = (b) => ({ time: seconds(b.time), open: b.open, high: b.high, low: b.low, close: b.close });
const toVolume = (b) => ({ time: seconds(b.time), value: b.volume, color: b.close >= b.open ? '#3fb95066' : '#f8514966' });
function createCandleChart() {
  // A few empty bars on the right keep the newest candle's marker text inside the chart.
  const chart = LightweightCharts.createChart($('#candles'), { ...chartOptions, timeScale: { ...chartOptions.timeScale, rightOffset: 8 } });
  candles = chart.addSeries(LightweightCharts.CandlestickSeries, { upColor: '#3fb950', downColor: '#f85149', borderVisible: false, wickUpColor: '#3fb950', wickDownColor: '#f85149' });
  // Volume on its own scale along the bottom fifth, under the candles.
  volume = chart.addSeries(LightweightCharts.HistogramSeries, { priceScaleId: 'volume', priceFormat: { type: 'volume' } });
  chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  candles.priceScale().applyOptions({ scaleMargins: { top: 0.1, bottom: 0.25 } });
  markers = LightweightCharts.createSeriesMarkers(candles, []);
  // For the tests and the curious: the series as the chart holds them.
  window.tradeyardCharts = { ...window.tradeyardCharts, candles, volume, markers };
}
// Each signal sits on the bar holding its time (a weekly or monthly bar holds many days).
function drawMarkers() {
  const times = candles.data().map((c) => c.time);
  const placed = [];
  for (const s of selected.signals) {
    const t = seconds(s.time);
    let lo = 0, hi = times.length - 1, at = -1;
    while (lo <= hi) { const mid = (lo + hi) >> 1; if (times[mid] <= t) { at = mid; lo = mid + 1; } else hi = mid - 1; }
    if (at >= 0) placed.push({ time: times[at], position: 'aboveBar', shape: 'arrowDown', color: '#d29922', text: s.ruleId || s.rule });
  }
  markers.setMarkers(placed.sort((a, b) => a.time - b.time));
  $('#candles').dataset.markers = String(placed.length);
}
const BARS_SHOWN = 1000;
const barsPath = (limit) => '/bars/' + encodeURIComponent(selected.symbol) + '?interval=' + selected.interval + '&limit=' + limit;
async function loadChart() {
  const load = ++selected.loads;
  const bars = await api('GET', barsPath(BARS_SHOWN));
  const signals = bars.length ? await api('GET', '/signals?symbol=' + encodeURIComponent(selected.symbol) + '&from=' + bars[0].time + '&limit=1000') : [];
  if (load !== selected.loads) return; // a later selection or interval won
  candles.setData(bars.map(toCandle));
  volume.setData(bars.map(toVolume));
  selected.signals = signals;
  drawMarkers();
  Object.assign($('#candles').dataset, { symbol: selected.symbol, interval: selected.interval, bars: String(bars.length) });
}
// The latest bars of the chart's interval as the gateway aggregates them (a weekly bar grows each
// day); a gap wider than one request, or a clock that moved back, reloads the chart.
async function refreshLastBars() {
  const load = selected.loads;
  const shown = candles.data();
  const bars = await api('GET', barsPath(50));
  if (load !== selected.loads || !bars.length) return;
  const last = shown.length ? shown[shown.length - 1].time : 0;
  if (seconds(bars[0].time) > last || seconds(bars[bars.length - 1].time) < last) return loadChart();
  for (const b of bars) if (seconds(b.time) >= last) { candles.update(toCandle(b)); volume.update(toVolume(b)); }
  drawMarkers();
  $('#candles').dataset.bars = String(candles.data().length);
}
let chartRefresh;
function refreshChartSoon() {
  chartRefresh ??= setTimeout(() => { chartRefresh = undefined; refreshLastBars().catch(() => undefined); }, 250);
}
function selectSymbol(symbol) {
  const info = market.get(symbol)?.info;
  if (!info) return;
  selected.symbol = symbol;
  // Only the intervals the gateway serves for this symbol; keep the current one when it has it.
  if (!info.intervals.includes(selected.interval)) selected.interval = info.interval;
  $('#interval').innerHTML = info.intervals.map((i) => '<option' + (i === selected.interval ? ' selected' : '') + '>' + esc(i) + '</option>').join('');
  $('#chart-title').textContent = symbol + ' · ' + info.name;
  $('#order [name=symbol]').value = symbol;
  renderWatchlist();
  loadChart().catch((err) => { $('#chart-note').textContent = err.message; });
}
function onMarketQuote(q) {
  applyQuote(q);
  renderWatchlistSoon();
  if (q.symbol === selected.symbol) refreshChartSoon();
}
function onMarketSignal(s) {
  if (s.symbol !== selected.symbol) return;
  selected.signals.push(s);
  drawMarkers();
}
async function startMarket(symbols) {
  createCandleChart();
  applySymbols(symbols);
  for (const q of await api('GET', '/quotes')) applyQuote(q);
  renderWatchlist();
  if (symbols.length) selectSymbol(symbols[0].symbol);
  // Stale marks come and go with a venue: the symbol list again every 5 s.
  setInterval(() => api('GET', '/symbols').then((infos) => { applySymbols(infos); renderWatchlistSoon(); }).catch(() => undefined), 5000);
}
$('#filter').oninput = renderWatchlist;
$('#quotes').onclick = (e) => { const row = e.target.closest('tr[data-symbol]'); if (row) selectSymbol(row.dataset.symbol); };
$('#interval').onchange = (e) => { selected.interval = e.target.value; loadChart().catch((err) => { $('#chart-note').textContent = err.message; }); };
`;
