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
// The prices an order type carries, and a good-till-date's date, as the orders table shows them.
const orderPrice = (o) => [o.stopPrice != null && 'stop ' + fmt(o.stopPrice), o.limitPrice != null && 'limit ' + fmt(o.limitPrice),
  o.trailPercent != null && 'trail ' + fmt(o.trailPercent) + ' %', o.trailAmount != null && 'trail ' + fmt(o.trailAmount), o.expireDate && 'until ' + esc(o.expireDate)].filter(Boolean).join(' · ');
async function refreshOrders() {
  const orders = await api('GET', '/orders?limit=50');
  $('#orders tbody').innerHTML = orders.map((o) => '<tr data-id="' + esc(o.id) + '" data-type="' + esc(o.type) + '"><td>' + esc(o.createdAt.slice(11, 19)) + '</td><td>' + esc(o.symbol) + '</td><td>' + esc(o.side) + '</td><td>' + esc(o.type.replace(/_/g, ' ') + (o.parentId ? ' (bracket)' : o.ocoGroupId ? ' (oco)' : '')) + '</td><td>' + fmt(o.quantity) + '</td><td>' + orderPrice(o) + '</td><td title="' + esc(o.reason) + '">' + esc(o.status) + '</td><td>' + fmt(o.avgFillPrice) + '</td><td>' + (o.status === 'accepted' || o.status === 'partially_filled' ? '<button data-cancel="' + esc(o.id) + '">Cancel</button>' : '') + '</td></tr>').join('');
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
// The fields each order type takes (the contract's placeOrderSchema), and gtd its date; the others are hidden and not sent.
const priceFields = { market: [], limit: ['limitPrice'], stop: ['stopPrice'], stop_limit: ['stopPrice', 'limitPrice'], trailing_stop: ['trail'], market_on_open: [], market_on_close: [] };
const showFields = () => {
  const wanted = [...priceFields[$('#order [name=type]').value], ...($('#order [name=timeInForce]').value === 'gtd' ? ['expireDate'] : [])];
  document.querySelectorAll('#order [data-for]').forEach((label) => { label.hidden = !wanted.includes(label.dataset.for); });
};
$('#order [name=type]').onchange = showFields;
$('#order [name=timeInForce]').onchange = showFields;
/** The order the form describes. An empty field is left out, so the server names what a type still needs. */
function formOrder() {
  const f = new FormData($('#order'));
  const number = (name) => (String(f.get(name) ?? '').trim() === '' ? undefined : Number(f.get(name)));
  const order = { symbol: f.get('symbol'), side: f.get('side'), type: f.get('type'), timeInForce: f.get('timeInForce'), quantity: number('quantity') };
  for (const field of priceFields[order.type]) {
    if (field === 'trail') order[f.get('trailBy')] = number('trail');
    else order[field] = number(field);
  }
  if (order.timeInForce === 'gtd') order.expireDate = f.get('expireDate') || undefined;
  order.takeProfitPrice = number('takeProfitPrice');
  order.stopLossPrice = number('stopLossPrice');
  return order;
}
/** Sends an order (or a group) and shows the server's answer: a denial's reason, or a 400's sentence with its fields marked. */
async function send(path, body) {
  $('#error').textContent = '';
  document.querySelectorAll('#order [aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  try {
    const placed = await api('POST', path, body, { 'idempotency-key': crypto.randomUUID() });
    const denied = (placed.orders || [placed]).find((o) => o.status === 'denied' || o.status === 'rejected');
    if (denied) $('#error').textContent = denied.status + ': ' + denied.reason;
    await Promise.all([refreshOrders(), refreshPortfolio()]);
    return true;
  } catch (err) {
    $('#error').textContent = err.message;
    // A group's fields are named orders.N.field: the form shows one order at a time, so its field is marked.
    for (const { field } of err.details || []) {
      const name = field.replace(/^body\./, '').replace(/^orders\.\d+\./, '');
      const input = $('#order [name="' + (name === 'trailAmount' || name === 'trailPercent' ? 'trail' : name) + '"]');
      if (input) input.setAttribute('aria-invalid', 'true');
    }
    return false;
  }
}
$('#order').onsubmit = (e) => { e.preventDefault(); send('/orders', formOrder()); };
// One-cancels-other: orders collected from the form, then placed as one group (the first to trade cancels the others).
let ocoOrders = [];
const showOco = () => {
  $('#oco-legs').textContent = ocoOrders.length ? ocoOrders.length + ' in the group: ' + ocoOrders.map((o) => o.side + ' ' + o.type.replace(/_/g, ' ')).join(', ') : '';
  $('#oco-place').hidden = ocoOrders.length === 0;
};
$('#oco-add').onclick = () => { ocoOrders.push(formOrder()); showOco(); };
// A group is sent once: after a refusal (its sentence names orders.N.field) it is collected again.
$('#oco-place').onclick = async () => {
  const orders = ocoOrders;
  ocoOrders = [];
  showOco();
  await send('/orders/oco', { orders });
};
$('#orders').onclick = async (e) => {
  const id = e.target.dataset && e.target.dataset.cancel;
  if (!id) return;
  try { await api('DELETE', '/orders/' + id); await refreshOrders(); } catch (err) { $('#error').textContent = err.message; }
};
`;
