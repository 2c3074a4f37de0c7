/**
 * The dashboard's account (browser script, part of dashboardHtml's one <script>): the order form,
 * positions, orders, the signals table and the equity chart on market time.
 */
export const tradingScript = String.raw`
let equity;
function createEquityChart() {
  // Equity points carry market time (the replay's days): the axis shows dates, not hours.
  const chart = LightweightCharts.createChart($('#chart'), { ...chartOptions, timeScale: { ...chartOptions.timeScale, timeVisible: false } });
  equity = chart.addSeries(LightweightCharts.LineSeries, { color: '#58a6ff' });
  window.tradeyardCharts = { ...window.tradeyardCharts, equity };
}
async function refreshPortfolio() {
  const p = await api('GET', '/portfolio');
  $('#cash').textContent = 'cash ' + fmt(p.cash) + ' · equity ' + fmt(p.equity) + ' · realized ' + fmt(p.realizedPnl) + ' · fees paid ' + fmt(p.feesPaid) + ' ' + p.currency;
  $('#positions tbody').innerHTML = p.positions.map((x) => '<tr data-symbol="' + esc(x.symbol) + '"><td>' + esc(x.symbol) + '</td><td>' + fmt(x.quantity) + '</td><td>' + fmt(x.avgPrice) + '</td><td>' + fmt(x.marketPrice) + '</td><td class="' + (x.unrealizedPnl >= 0 ? 'up' : 'down') + '">' + fmt(x.unrealizedPnl) + '</td><td>' + fmt(x.realizedPnl) + '</td></tr>').join('');
  // The chart takes one point per time, ascending: the last equity of each market instant.
  const points = (await api('GET', '/portfolio/equity')).map((e) => ({ time: Math.floor(e.time / 1000), value: e.equity })).sort((a, b) => a.time - b.time);
  equity.setData(points.filter((pt, i) => i === points.length - 1 || pt.time < points[i + 1].time));
}
// The prices an order type carries, as the orders table shows them.
const orderPrice = (o) => [o.stopPrice != null && 'stop ' + fmt(o.stopPrice), o.limitPrice != null && 'limit ' + fmt(o.limitPrice),
  o.trailPercent != null && 'trail ' + fmt(o.trailPercent) + ' %', o.trailAmount != null && 'trail ' + fmt(o.trailAmount)].filter(Boolean).join(' · ');
async function refreshOrders() {
  const orders = await api('GET', '/orders?limit=50');
  $('#orders tbody').innerHTML = orders.map((o) => '<tr data-id="' + esc(o.id) + '" data-type="' + esc(o.type) + '"><td>' + esc(o.createdAt.slice(11, 19)) + '</td><td>' + esc(o.symbol) + '</td><td>' + esc(o.side) + '</td><td>' + esc(o.type.replace('_', ' ') + (o.parentId ? ' (bracket)' : '')) + '</td><td>' + fmt(o.quantity) + '</td><td>' + orderPrice(o) + '</td><td title="' + esc(o.reason) + '">' + esc(o.status) + '</td><td>' + fmt(o.avgFillPrice) + '</td><td>' + (o.status === 'accepted' || o.status === 'partially_filled' ? '<button data-cancel="' + esc(o.id) + '">Cancel</button>' : '') + '</td></tr>').join('');
}
function addSignal(s) {
  const row = '<tr><td>' + esc(new Date(s.time).toISOString().slice(0, 10)) + '</td><td>' + esc(s.symbol) + '</td><td>' + esc(s.ruleId || s.rule) + '</td><td>' + fmt(s.close) + '</td></tr>';
  $('#signals tbody').insertAdjacentHTML('afterbegin', row);
}
async function startTrading(symbols) {
  createEquityChart();
  $('#order [name=symbol]').innerHTML = symbols.map((s) => '<option>' + esc(s.symbol) + '</option>').join('');
  (await api('GET', '/signals?limit=30')).reverse().forEach(addSignal);
  await Promise.all([refreshPortfolio(), refreshOrders()]);
  setInterval(() => refreshPortfolio().catch(() => undefined), 5000);
}
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
`;
