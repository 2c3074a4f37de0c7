#!/usr/bin/env node
// `npm start`: builds the four services (Nx cache makes this quick after the first run) and
// runs them as child processes on embedded defaults (PGlite, in-process fan-out, bundled
// market replay), the gateway first and the others once it is ready.
// Secrets set in the environment are used as they are; the missing ones are
// generated on first run, printed once and kept in DATA_DIR/dev-secrets.json.
// Logs go to DATA_DIR/logs/<service>.log; warnings and errors are echoed here.
// A service that exits is restarted with exponential backoff (1 s, 2 s, 4 s … 30 s; back to
// 1 s once it has run for a minute). Ctrl-C (SIGINT) or SIGTERM stops every service within 10 s.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor200 } from './health.mjs';
import { resolveSecrets } from './secrets.mjs';
import { bundlePath, healthyRunMs, restartDelayMs, serviceEnv, services } from './services.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = resolve(process.env.DATA_DIR ?? join(root, '.data'));
const portOffset = Number(process.env.TRADEYARD_PORT_OFFSET ?? 0);
const say = (line) => process.stdout.write(`[tradeyard] ${line}\n`);

function portFree(port) {
  return new Promise((resolvePort) => {
    const probe = createServer()
      .once('error', () => resolvePort(false))
      .once('listening', () => probe.close(() => resolvePort(true)))
      .listen(port, '127.0.0.1');
  });
}

async function main() {
  const ports = Object.fromEntries(services.map((s) => [s.name, s.port + portOffset]));
  for (const service of services) {
    if (!(await portFree(ports[service.name]))) {
      say(`port ${ports[service.name]} (${service.name}) is in use; stop what holds it or set TRADEYARD_PORT_OFFSET`);
      process.exit(1);
    }
  }
  if (process.env.TRADEYARD_SKIP_BUILD !== '1') {
    say('building the services (nx run-many -t build)…');
    const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static', '--projects', services.map((s) => s.name).join(',')], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (build.status !== 0) {
      say('build failed; run `npx nx run-many -t build` to see why');
      process.exit(1);
    }
  }
  const secrets = resolveSecrets({ file: join(dataDir, 'dev-secrets.json'), say });
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });

  const children = new Map();
  const restartTimers = new Set();
  let stopping = false;
  const alive = (child) => child.exitCode === null && child.signalCode === null;
  const stopAll = async (code) => {
    if (stopping) return;
    stopping = true;
    say('stopping all services…');
    for (const timer of restartTimers) clearTimeout(timer);
    for (const child of children.values()) if (alive(child)) child.kill('SIGTERM');
    // Services stop gracefully well within this; what does not is killed, so Ctrl-C ends all within 10 s.
    const deadline = Date.now() + 9_000;
    while ([...children.values()].some(alive) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const [name, child] of children) {
      if (!alive(child)) continue;
      say(`${name} still running after 9 s: killed`);
      child.kill('SIGKILL');
    }
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  const logs = new Map(services.map((s) => [s.name, createWriteStream(join(logDir, `${s.name}.log`), { flags: 'a' })]));
  const failures = new Map(services.map((s) => [s.name, 0]));
  const launch = (service) => {
    const log = logs.get(service.name);
    const child = spawn(process.execPath, ['--enable-source-maps', bundlePath(root, service.name)], {
      cwd: root,
      env: serviceEnv(service, { ports, secrets, dataDir, baseEnv: process.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const launchedAt = Date.now();
    children.set(service.name, child);
    say(`${service.name} started (pid ${child.pid})`);
    const echo = (chunk) => {
      log.write(chunk);
      for (const line of String(chunk).split('\n')) {
        if (/"level":"(warn|error|fatal)"|^invalid configuration|Error/.test(line)) say(`${service.name}: ${line}`);
      }
    };
    child.stdout.on('data', echo);
    child.stderr.on('data', echo);
    child.on('exit', (code, signal) => {
      if (stopping) return;
      if (Date.now() - launchedAt > healthyRunMs) failures.set(service.name, 0);
      const attempt = failures.get(service.name) + 1;
      failures.set(service.name, attempt);
      const delay = restartDelayMs(attempt);
      say(`${service.name} exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000} s (restart ${attempt}); see ${join(logDir, service.name + '.log')}`);
      const timer = setTimeout(() => {
        restartTimers.delete(timer);
        if (!stopping) launch(service);
      }, delay);
      restartTimers.add(timer);
    });
  };
  const started = Date.now();
  // Each service starts once the services it needs answer /ready (services.mjs).
  const ready = new Map();
  const readyOf = (name) => {
    if (!ready.has(name)) ready.set(name, waitFor200(`http://127.0.0.1:${ports[name]}/ready`, 60_000, { intervalMs: 250, stillRunning: () => !stopping }));
    return ready.get(name);
  };
  const launchWhenNeedsReady = async (service) => {
    if ((await Promise.all((service.needs ?? []).map(readyOf))).every(Boolean)) launch(service);
    else say(`${service.name} not started: ${service.needs.join(', ')} not ready within 60 s`);
  };
  await Promise.all(services.map(launchWhenNeedsReady));
  const results = await Promise.all(services.map((s) =>
      waitFor200(`http://127.0.0.1:${ports[s.name]}/health`, 60_000, { intervalMs: 250, stillRunning: () => !stopping }),
    ),
  );
  const failed = services.filter((_, i) => !results[i]).map((s) => s.name);
  if (failed.length) {
    say(`not healthy within 60 s: ${failed.join(', ')}; logs in ${logDir}`);
    return stopAll(1);
  }
  say(`all services healthy in ${((Date.now() - started) / 1000).toFixed(1)} s:`);
  const url = (name) => `http://127.0.0.1:${ports[name]}`;
  say(`  dashboard      ${url('api-gateway')}/            (log in as ${secrets.ADMIN_USERNAME})`);
  say(`  api-gateway    ${url('api-gateway')}/api/v1   docs ${url('api-gateway')}/docs`);
  say(`  scanner        ${url('scanner')}/api/v1`);
  say(`  mcp-tools      ${url('mcp-tools')}/mcp        (Bearer MCP_AUTH_TOKEN)`);
  say(`  trading-agent  ${url('trading-agent')}/api/v1`);
  say(`logs: ${logDir}   a service that exits is restarted   Ctrl-C stops everything`);
}

main().catch((err) => {
  say(`start failed: ${err.stack ?? err}`);
  process.exit(1);
});
