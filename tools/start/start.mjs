#!/usr/bin/env node
// `npm start`: builds the four services (Nx cache makes this quick after the first run) and
// runs them as child processes on embedded defaults (PGlite, in-process fan-out, bundled
// market replay). Generates development secrets on first run and prints them once.
// Logs go to DATA_DIR/logs/<service>.log; warnings and errors are echoed here.
// Ctrl-C (SIGINT) or SIGTERM stops every service gracefully.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor200 } from './health.mjs';
import { bundlePath, serviceEnv, services } from './services.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = resolve(process.env.DATA_DIR ?? join(root, '.data'));
const portOffset = Number(process.env.TRADEYARD_PORT_OFFSET ?? 0);
const say = (line) => process.stdout.write(`[tradeyard] ${line}\n`);

function loadOrCreateSecrets() {
  const file = join(dataDir, 'dev-secrets.json');
  if (existsSync(file)) {
    say(`development secrets: ${file} (created on first run)`);
    return JSON.parse(readFileSync(file, 'utf8'));
  }
  const token = () => randomBytes(24).toString('base64url');
  const secrets = {
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: token(),
    SERVICE_TOKEN: token(),
    JWT_SECRET: token(),
    MCP_AUTH_TOKEN: token(),
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  say('generated development secrets (shown once; kept in ' + file + '):');
  for (const [key, value] of Object.entries(secrets)) say(`  ${key}=${value}`);
  say('these are for local use only; production takes them from the environment.');
  return secrets;
}

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
  const secrets = loadOrCreateSecrets();
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });

  const children = new Map();
  let stopping = false;
  const stopAll = async (code) => {
    if (stopping) return;
    stopping = true;
    say('stopping all services…');
    for (const child of children.values()) if (child.exitCode === null) child.kill('SIGTERM');
    const deadline = Date.now() + 12_000;
    while ([...children.values()].some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const child of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  for (const service of services) {
    const log = createWriteStream(join(logDir, `${service.name}.log`), { flags: 'a' });
    const child = spawn(process.execPath, ['--enable-source-maps', bundlePath(root, service.name)], {
      cwd: root,
      env: serviceEnv(service, { ports, secrets, dataDir, baseEnv: process.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.set(service.name, child);
    const echo = (chunk) => {
      log.write(chunk);
      for (const line of String(chunk).split('\n')) {
        if (/"level":"(warn|error|fatal)"|^invalid configuration|Error/.test(line)) say(`${service.name}: ${line}`);
      }
    };
    child.stdout.on('data', echo);
    child.stderr.on('data', echo);
    child.on('exit', (code, signal) => {
      if (!stopping) {
        say(`${service.name} exited (${signal ?? `code ${code}`}); see ${join(logDir, service.name + '.log')}`);
        void stopAll(1);
      }
    });
  }

  const started = Date.now();
  const results = await Promise.all(services.map((s) =>
      waitFor200(`http://127.0.0.1:${ports[s.name]}/health`, 60_000, { intervalMs: 250, stillRunning: () => children.get(s.name).exitCode === null }),
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
  say(`logs: ${logDir}   Ctrl-C stops everything`);
}

main().catch((err) => {
  say(`start failed: ${err.stack ?? err}`);
  process.exit(1);
});
