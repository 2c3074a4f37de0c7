// Fault tier: real PostgreSQL and Redis (Debian packages, started in temp folders on loopback
// ports) under a pair of gateway processes (the built bundle) taking orders. PostgreSQL is
// stopped and started, then restarted with `pg_ctl restart -m fast`, and Redis is stopped and
// started, all during the load. Asserts that no gateway process exits, that every request
// answers (2xx, or 503 + Retry-After + {error, message} while a dependency it needs is down;
// never a 500, never a hang), that /ready names the missing dependency meanwhile, that every
// acknowledged order is in the database after, and that a WebSocket client on the other replica
// receives every fill (through the outbox once Redis is back). Prints the recovery times.
// Run with tsx (`node --import tsx --test tools/test/fault.test.mjs`) for the TypeScript test-server helpers.
// Under CI=true a missing PostgreSQL or Redis is a failure, not a skip.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { WebSocket } from 'ws';
import { freePort, postgresMissing, redisMissing, startPostgres, startRedis } from '../../libs/persistence/src/test-servers.ts';
import { bundlePath } from '../start/services.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ci = process.env.CI === 'true' || process.env.CI === '1';
const missing = postgresMissing() ?? redisMissing() ?? (existsSync(bundlePath(root, 'api-gateway')) ? undefined : 'no gateway bundle (npx nx run api-gateway:build)');
// The orders and fills are the paper account of mcp-tools' credential.
const mcpToolsToken = 'fault-mcp-tools-token-0123456789';
const adminPassword = 'fault-admin-password';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One gateway process of the pair; its output is kept for failure messages. */
async function startGateway(env) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'tradeyard-fault-gw-'));
  const child = spawn(process.execPath, [bundlePath(root, 'api-gateway')], {
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      ADMIN_PASSWORD: adminPassword,
      SCANNER_TOKEN: 'fault-scanner-token-0123456789',
      MCP_TOOLS_TOKEN: mcpToolsToken,
      TRADING_AGENT_TOKEN: 'fault-trading-agent-token-0123456789',
      JWT_SECRET: 'fault-jwt-secret-0123456789abcdef',
      PAPER_STARTING_CASH: '100000000',
      RATE_LIMIT_ORDERS_PER_MINUTE: '1000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const gateway = { url: `http://127.0.0.1:${port}`, child, output: '', exits: [] };
  child.stdout.on('data', (c) => (gateway.output = (gateway.output + c).slice(-20_000)));
  child.stderr.on('data', (c) => (gateway.output = (gateway.output + c).slice(-20_000)));
  child.on('exit', (code, signal) => gateway.exits.push(signal ?? code));
  gateway.cleanup = () => rmSync(dataDir, { recursive: true, force: true });
  return gateway;
}

async function ready(url) {
  try {
    const response = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(5000) });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
  } catch (err) {
    return { status: 0, error: String(err) };
  }
}

test('gateway pair under order load survives PostgreSQL and Redis outages and loses nothing', { skip: !ci && missing ? missing : false, timeout: 240_000 }, async (t) => {
  assert.equal(missing, undefined, `the fault tier needs real servers under CI=true: ${missing}`);
  const postgres = await startPostgres();
  const redis = await startRedis();
  const gateways = [];
  const socket = { ws: undefined };
  try {
    gateways.push(await startGateway({ DATABASE_URL: postgres.url, REDIS_URL: redis.url }));
    gateways.push(await startGateway({ DATABASE_URL: postgres.url, REDIS_URL: redis.url }));
    const [a, b] = gateways;
    const describe = () => gateways.map((g, i) => `--- gateway ${i} (exits: ${JSON.stringify(g.exits)}):\n${g.output}`).join('\n');
    const until = async (condition, ms, what) => {
      const deadline = Date.now() + ms;
      while (!(await condition())) {
        assert.ok(Date.now() < deadline, `${what} within ${ms} ms\n${describe()}`);
        await sleep(50);
      }
    };
    await until(async () => (await Promise.all(gateways.map((g) => ready(g.url)))).every((r) => r.status === 200), 120_000, 'both gateways ready');
    const pids = gateways.map((g) => g.child.pid);

    // A WebSocket client of replica B sees the fills of orders placed on either replica.
    const fillsSeen = new Set();
    socket.ws = new WebSocket(`${b.url.replace('http', 'ws')}/ws?token=${mcpToolsToken}`);
    socket.ws.on('message', (raw) => {
      const message = JSON.parse(String(raw));
      if (message.channel === 'fills') fillsSeen.add(message.data.orderId);
    });
    await new Promise((r, j) => socket.ws.once('open', r).once('error', j));
    socket.ws.send(JSON.stringify({ type: 'subscribe', channels: ['fills'] }));
    await sleep(300);

    // The load: four workers alternating replicas, buys and sells, each request bounded.
    const results = [];
    let phase = 'warm-up';
    let loadRunning = true;
    let sequence = 0;
    const worker = async (w) => {
      while (loadRunning) {
        const n = sequence++;
        const target = gateways[n % 2];
        const started = Date.now();
        const record = { n, replica: n % 2, phase, started };
        try {
          const response = await fetch(`${target.url}/api/v1/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${mcpToolsToken}`, 'idempotency-key': `fault-${w}-${n}` },
            body: JSON.stringify({ symbol: 'SPX', side: n % 4 < 2 ? 'buy' : 'sell', quantity: n % 4 < 2 ? 0.02 : 0.01 }),
            // Only a hang ends here (status 0, which fails the test); how slow recovery is, is printed.
            signal: AbortSignal.timeout(120_000),
          });
          record.status = response.status;
          record.retryAfter = response.headers.get('retry-after');
          record.body = await response.json();
        } catch (err) {
          record.status = 0;
          record.error = String(err);
        }
        record.ms = Date.now() - started;
        results.push(record);
        if (record.status !== 201) await sleep(20);
      }
    };
    const load = [0, 1, 2, 3].map(worker);
    const acked = () => results.filter((r) => r.status >= 200 && r.status < 300);
    const firstOkAfter = (time, replica) => results.find((r) => r.replica === replica && r.started >= time && r.status === 201);
    const recoveredAt = async (since, what) => {
      await until(() => firstOkAfter(since, 0) && firstOkAfter(since, 1), 120_000, what);
      return Math.max(firstOkAfter(since, 0).started + firstOkAfter(since, 0).ms, firstOkAfter(since, 1).started + firstOkAfter(since, 1).ms) - since;
    };
    await sleep(1500);
    assert.ok(acked().length > 10, `no load before the faults\n${describe()}`);

    await t.test('PostgreSQL down: 503 + Retry-After for orders, /ready names the database on both replicas', async () => {
      phase = 'postgres-down';
      await postgres.down();
      const downSince = Date.now();
      await sleep(1500);
      for (const g of gateways) {
        const r = await ready(g.url);
        assert.equal(r.status, 503, JSON.stringify(r));
        assert.equal(r.retryAfter, '2');
        assert.deepEqual(r.body.missing, ['database']);
      }
      const whileDown = (r) => r.phase === 'postgres-down' && r.started > downSince + 500;
      await until(() => results.filter(whileDown).length >= 4, 120_000, 'orders answered while PostgreSQL is down');
      phase = 'postgres-up';
      const upStartedAt = Date.now();
      const during = results.filter((r) => whileDown(r) && r.started + r.ms < upStartedAt);
      assert.ok(during.length >= 4, 'too few requests answered while PostgreSQL was down');
      for (const r of during) {
        assert.equal(r.status, 503, JSON.stringify(r));
        assert.equal(r.retryAfter, '2');
        assert.equal(r.body.error, 'unavailable');
        assert.match(r.body.message, /^database unavailable: /);
      }
      await postgres.up();
      const upAt = Date.now();
      const ms = await recoveredAt(upAt, 'orders accepted on both replicas after PostgreSQL came back');
      await until(async () => (await Promise.all(gateways.map((g) => ready(g.url)))).every((r) => r.status === 200), 120_000, '/ready 200 after PostgreSQL came back');
      process.stdout.write(`# recovery after PostgreSQL stop/start: first accepted order on both replicas ${ms} ms after the server was up\n`);
    });

    await t.test('pg_ctl restart -m fast under load: both replicas take orders again without a restart of their own', async () => {
      phase = 'postgres-restart';
      await postgres.restart();
      const restartedAt = Date.now();
      const ms = await recoveredAt(restartedAt, 'orders accepted on both replicas after pg_ctl restart');
      process.stdout.write(`# recovery after pg_ctl restart -m fast: first accepted order on both replicas ${ms} ms after the restart returned\n`);
    });

    await t.test('Redis down: orders keep being accepted, /ready names redis, logins get 503 + Retry-After, fills wait in the outbox', async () => {
      await sleep(500);
      phase = 'redis-down';
      await redis.down();
      const downSince = Date.now();
      await sleep(1000);
      for (const g of gateways) {
        const r = await ready(g.url);
        assert.equal(r.status, 503, JSON.stringify(r));
        assert.deepEqual(r.body.missing, ['redis']);
      }
      const login = await fetch(`${a.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: adminPassword }),
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(login.status, 503);
      assert.equal(login.headers.get('retry-after'), '2');
      assert.match((await login.json()).message, /^redis unavailable: /);
      await sleep(1500);
      const placedWhileDown = acked().filter((r) => r.started > downSince && r.body.status === 'filled');
      assert.ok(placedWhileDown.length > 0, 'no order accepted while Redis was down');
      assert.ok(placedWhileDown.every((r) => !fillsSeen.has(r.body.id)), 'a fill was delivered while Redis was down?');

      phase = 'redis-up';
      await redis.up();
      const upAt = Date.now();
      await until(() => placedWhileDown.every((r) => fillsSeen.has(r.body.id)), 120_000, 'fills made during the Redis outage delivered on the other replica');
      const delivered = Date.now() - upAt;
      await until(async () => (await Promise.all(gateways.map((g) => ready(g.url)))).every((r) => r.status === 200), 120_000, '/ready 200 after Redis came back');
      process.stdout.write(`# recovery after Redis came back: ${placedWhileDown.length} fills held in the outbox delivered ${delivered} ms after Redis was up; /ready 200 after ${Date.now() - upAt} ms\n`);
    });

    await sleep(1000);
    loadRunning = false;
    await Promise.all(load);

    await t.test('no gateway restarted, no request hung or got anything but 2xx or 503 + Retry-After', () => {
      assert.deepEqual(gateways.map((g) => g.exits), [[], []], describe());
      assert.deepEqual(gateways.map((g) => g.child.pid), pids);
      const bad = results.filter((r) => !(r.status === 201 || (r.status === 503 && r.retryAfter === '2' && r.body?.error === 'unavailable')));
      assert.deepEqual(bad, [], describe());
      const slowest = Math.max(...results.map((r) => r.ms));
      const count = (s) => results.filter((r) => r.status === s).length;
      process.stdout.write(`# ${results.length} order requests: ${count(201)} accepted, ${count(503)} answered 503 + Retry-After; slowest ${slowest} ms\n`);
    });

    await t.test('every acknowledged order is in the database; every fill reached the other replica', async () => {
      const ids = acked().map((r) => r.body.id);
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      try {
        const { rows } = await client.query('SELECT id::text AS id FROM orders WHERE id = ANY($1::uuid[])', [ids]);
        const stored = new Set(rows.map((r) => r.id));
        assert.deepEqual(ids.filter((id) => !stored.has(id)), [], 'acknowledged orders missing from the database');
      } finally {
        await client.end();
      }
      const filled = acked().filter((r) => r.body.status === 'filled').map((r) => r.body.id);
      await until(() => filled.every((id) => fillsSeen.has(id)), 120_000, 'every fill delivered over WebSocket');
      process.stdout.write(`# ${ids.length} acknowledged orders all stored; ${filled.length} fills all delivered to the other replica's WebSocket client\n`);
    });
  } finally {
    socket.ws?.close();
    for (const g of gateways) {
      if (g.child.exitCode === null && g.child.signalCode === null) {
        g.child.kill('SIGTERM');
        await new Promise((r) => g.child.once('exit', r));
      }
      g.cleanup();
    }
    await redis.stop();
    await postgres.stop();
  }
});
