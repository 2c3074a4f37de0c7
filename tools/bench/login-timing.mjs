// Login time for a known user with a wrong password vs an unknown user, against the built gateway
// bundle (dist/apps/api-gateway/main.js, `npx nx run api-gateway:build` first) on a fresh PGlite
// folder: the two medians should match, or the response time tells which usernames exist.
// Also checks that a JWT sent as ?token= stays out of the gateway's log.
// Run: node tools/bench/login-timing.mjs [rounds=30]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const rounds = Number(process.argv[2] ?? 30);
const root = resolve(import.meta.dirname, '../..');
const port = await new Promise((done) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address();
    probe.close(() => done(free));
  });
});
const dataDir = mkdtempSync(join(tmpdir(), 'login-timing-'));
const base = `http://127.0.0.1:${port}`;
const gateway = spawn('node', [join(root, 'dist/apps/api-gateway/main.js')], {
  env: {
    ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: dataDir, ADMIN_PASSWORD: 'admin-password-1',
    SCANNER_TOKEN: 'scanner-token-0123456789', MCP_TOOLS_TOKEN: 'mcp-tools-token-0123456789', TRADING_AGENT_TOKEN: 'trading-agent-token-0123456789', JWT_SECRET: 'jwt-secret-0123456789abcdef', RATE_LIMIT_LOGINS_PER_MINUTE: '100000',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let log = '';
gateway.stdout.on('data', (chunk) => (log += chunk));
try {
  for (let i = 0; i < 150; i++) {
    const up = await fetch(`${base}/health`).then((r) => r.ok, () => false);
    if (up) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const login = async (username, password) => {
    const started = performance.now();
    const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    return { ms: performance.now() - started, body: await res.json() };
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const known = [];
  const unknown = [];
  for (let i = 0; i < rounds; i++) {
    known.push((await login('admin', 'wrong-password')).ms);
    unknown.push((await login(`nobody-${i}`, 'wrong-password')).ms);
  }
  console.log(`login, median of ${rounds}: known user ${median(known).toFixed(1)} ms, unknown user ${median(unknown).toFixed(1)} ms`);
  const { token } = (await login('admin', 'admin-password-1')).body;
  await fetch(`${base}/api/v1/symbols?token=${token}`);
  await new Promise((r) => setTimeout(r, 300));
  console.log(`JWT sent as ?token= found in the gateway log: ${log.includes(token) ? 'yes' : 'no'}`);
} finally {
  gateway.kill('SIGTERM');
  await new Promise((r) => gateway.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
