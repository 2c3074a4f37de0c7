#!/usr/bin/env node
// `npm test`: every test tier this machine can run, in order, with a plain verdict per tier.
//   1. workspace   lint, typecheck, unit and integration tests (Jest; real PostgreSQL/Redis,
//                  PGlite, loopback HTTP/WebSocket/MCP) and the bundles, for every project
//   2. platform    npm start (also on the machine's own node under CI), config errors, secrets,
//                  affected-image detection, workflow lint, the service and strategy generators
//   fault          a gateway pair under order load through PostgreSQL and Redis outages
//   3. container   images built with nx-container, run, health-checked, pushed and pulled
//                  (needs a Docker engine: `bash tools/container/toolchain.sh` provides one)
// A tier that cannot run says `skipped: <why>`. Under CI=true a missing engine is a failure,
// so CI can never pass by skipping the container tier.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ci = process.env.CI === 'true' || process.env.CI === '1';
const results = [];
const failuresDir = mkdtempSync(join(tmpdir(), 'tradeyard-failures-'));

function run(tier, command, args, env = {}) {
  process.stdout.write(`\n=== ${tier}: ${[command, ...args].join(' ')}\n`);
  const started = Date.now();
  const child = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const failed = readLines(join(failuresDir, tier));
  results.push({ tier, status: child.status === 0 ? 'passed' : 'failed', note: `${seconds} s`, failed });
}

const readLines = (file) => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

/**
 * node --test with its usual spec output, and the failed tests' names into the tier's file for the
 * summary; `concurrency` test files at once (one unless a tier says otherwise).
 */
const nodeTest = (tier, { concurrency = 1, nodeArgs = [] } = {}) => [
  ...nodeArgs,
  '--test',
  `--test-concurrency=${concurrency}`,
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  '--test-reporter=./tools/test/failures-reporter.mjs',
  `--test-reporter-destination=${join(failuresDir, tier)}`,
];

function skip(tier, why) {
  process.stdout.write(`\n=== ${tier}: skipped: ${why}\n`);
  results.push({ tier, status: ci ? 'failed' : 'skipped', note: ci ? `${why} (required under CI=true)` : why });
}

const engineReachable = () => spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;

// What ran the tests, first: CI runs them on the LTS the images ship (.ci/run, tools/ci/node-lts.sh).
process.stdout.write(`node ${process.version} (${process.execPath})\n`);

// Under CI every task really runs: a result replayed from the Nx cache proves nothing there.
run('workspace', 'npx', ['nx', 'run-many', '-t', 'lint', 'typecheck', 'test', 'build', '--outputStyle=static', '--parallel=2', ...(ci ? ['--skip-nx-cache'] : [])], {
  TRADEYARD_FAILURES_FILE: join(failuresDir, 'workspace'),
});
run('platform', process.execPath, [...nodeTest('platform'), ...['platform', 'delivery', 'generator', 'strategy-generator', 'renovate', 'secrets'].map((name) => `tools/test/${name}.test.mjs`)]);
run('fault', process.execPath, [...nodeTest('fault', { nodeArgs: ['--import', 'tsx'] }), 'tools/test/fault.test.mjs']);
if (engineReachable()) {
  // Node's test runner orders files by name, so the image build (which the compose, deploy and
  // swarm tests run) gets its own call first.
  const rest = readdirSync(join(root, 'tools/test'))
    .filter((f) => f.endsWith('.container.test.mjs') && f !== 'images.container.test.mjs')
    .map((f) => `tools/test/${f}`);
  run('container', process.execPath, [...nodeTest('container'), 'tools/test/images.container.test.mjs']);
  if (results.at(-1).status === 'passed') {
    // The delivery files (compose, deploy, Swarm) wait on health checks and registries far more
    // than they compute, and each has its own compose project, tags and ports: they run side by
    // side, after the stand-in images they share are built once.
    spawnSync('bash', ['tools/container/infra-images.sh'], { cwd: root, stdio: 'inherit' });
    run('delivery', process.execPath, [...nodeTest('delivery', { concurrency: rest.length }), ...rest]);
  }
} else {
  skip('container', 'no container engine');
}

process.stdout.write('\n=== summary\n');
for (const r of results) {
  process.stdout.write(`${r.tier.padEnd(10)} ${r.status.padEnd(8)} ${r.note}\n`);
  for (const line of r.failed ?? []) process.stdout.write(`  failed: ${line}\n`);
}
rmSync(failuresDir, { recursive: true, force: true });
const count = (status) => results.filter((r) => r.status === status).length;
process.stdout.write(`tiers: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped\n`);
process.exit(count('failed') ? 1 : 0);
