/**
 * The dashboard's market clock (browser script, part of dashboardHtml's one <script>): everyone
 * sees the date, state and speed; admins get the controls (POST /api/v1/clock), whose 400 and 409
 * answers are shown beside them. The gateway refuses the controls to other roles anyway.
 */
export const clockScript = String.raw`
let clockEpoch;
function renderClock(clock) {
  // A state this page does not know (a newer gateway's) is shown as the gateway names it.
  const speed = clock.barsPerSecond === null ? '' : ' · ' + fmt(clock.barsPerSecond) + ' bars/s';
  $('#clock-view').textContent = clock.date + ' · ' + clock.state + (clock.ended ? ' (ended)' : '') + speed;
  $('#clock-view').dataset.state = clock.state;
  $('#clock-controls [name=barsPerSecond]').placeholder = clock.barsPerSecond ?? '';
  $('#clock-controls [data-clock=pause]').disabled = clock.state === 'paused';
  $('#clock-controls [data-clock=resume]').disabled = clock.state === 'running';
  // A restart moves the clock back: the chart shows the new past.
  if (clockEpoch !== undefined && clock.epoch !== clockEpoch && selected.symbol) loadChart().catch(() => undefined);
  clockEpoch = clock.epoch;
}
const refreshClock = () => api('GET', '/clock').then(renderClock);
// The fields each action sends (the contract's clockControlSchema); an empty field is left out, so the gateway names what is missing.
const clockFields = { pause: [], resume: [], step: ['bars'], speed: ['barsPerSecond'], restart: ['startDate', 'endDate'] };
const numericClockFields = new Set(['bars', 'barsPerSecond']);
async function controlClock(action) {
  $('#clock-error').textContent = '';
  const body = { action };
  for (const field of clockFields[action]) {
    const value = $('#clock-controls [name=' + field + ']').value.trim();
    if (value !== '') body[field] = numericClockFields.has(field) ? Number(value) : value;
  }
  try {
    renderClock(await api('POST', '/clock', body));
  } catch (err) {
    // The gateway's message names the field and the rule (400) or why not now (409).
    $('#clock-error').textContent = err.message;
  }
}
async function startClock(role) {
  $('#clock-controls').hidden = role !== 'admin';
  await refreshClock();
  setInterval(() => refreshClock().catch(() => undefined), 1000);
}
$('#clock-controls').onclick = (e) => { const action = e.target.dataset && e.target.dataset.clock; if (action) controlClock(action); };
`;
