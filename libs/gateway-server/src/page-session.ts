/**
 * What both browser pages (the dashboard and /arena) open their script with and end it with: DOM
 * lookup, escaping, the session's token; then the login form and the start with a kept token.
 * Each page defines its own start(). Plain script text: the pages are served from memory.
 */
export const pageBasics = String.raw`
const $ = (s) => document.querySelector(s);
let token = sessionStorage.getItem('token');
const esc = (v) => String(v ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
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
