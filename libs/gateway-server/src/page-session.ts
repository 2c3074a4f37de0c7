/**
 * What both browser pages (the dashboard and /arena) open their script with and end it with: DOM
 * lookup, escaping, the session's token, the REST call (a refusal throws with its status and the
 * fields it names), the charts' look; then the login form and the start with a kept token. Each
 * page defines its own start(). Plain script text: the pages are served from memory.
 */
export const pageBasics = String.raw`
const $ = (s) => document.querySelector(s);
let token = sessionStorage.getItem('token');
const esc = (v) => String(v ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
// A JSON content type only with a body: the gateway refuses an empty one announced as JSON (a DELETE).
async function api(method, path, body, headers = {}) {
  const json = body === undefined ? {} : { 'content-type': 'application/json' };
  const res = await fetch('/api/v1' + path, { method, headers: { authorization: 'Bearer ' + token, ...json, ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(data.message || res.statusText), { status: res.status, details: data.details || [] });
  return data;
}
const chartOptions = { layout: { background: { color: '#161b22' }, textColor: '#d8dee4' }, grid: { vertLines: { color: '#21262d' }, horzLines: { color: '#21262d' } }, timeScale: { timeVisible: true, secondsVisible: false } };
`;

export const pageLogin = String.raw`
$('#login').onsubmit = async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const res = await fetch('/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: f.get('username'), password: f.get('password') }) });
  const data = await res.json();
  if (!res.ok) { $('#login-error').textContent = data.message; return; }
  token = data.token; sessionStorage.setItem('token', token); sessionStorage.setItem('role', data.role); start();
};
if (token) start().catch(() => { sessionStorage.removeItem('token'); location.reload(); });
`;
