// Delivery checks that need no container engine (platform tier): the environment reference
// is what the generator makes from the config schemas today; .env.example names every
// variable the services and the compose files read; both compose files are valid
// (`docker compose config`, when the docker CLI exists) with .env.example's placeholders;
// the deploy script parses and explains its usage; the workflow lint reports an action not
// pinned by commit SHA; the Nx cache is this checkout's own; the SBOM maps a bundle's inputs
// to this workspace's packages wherever the bundle was built.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { packageDir } from '../container/sbom.mjs';
import { unpinnedActions } from './lint-workflows.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (path) => readFileSync(join(root, path), 'utf8');
const composeFiles = ['docker-compose.dev.yml', 'docker-compose.prod.yml'];
const tsx = (...args) => spawnSync('npx', ['tsx', 'tools/docs/env-reference.ts', ...args], { cwd: root, encoding: 'utf8' });

test('docs/ENVIRONMENT.md is exactly what tools/docs/env-reference.ts generates', () => {
  const check = tsx('--check');
  assert.equal(check.status, 0, check.stderr);
});

test('.env.example names every service variable and every compose variable', () => {
  const names = tsx('--names');
  assert.equal(names.status, 0, names.stderr);
  const serviceVariables = names.stdout.split('\n').filter(Boolean);
  assert.ok(serviceVariables.includes('LOG_LEVEL'), 'the generator found no variables');
  const composeVariables = composeFiles.flatMap((f) => [...read(f).matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));
  const example = read('.env.example');
  const listed = new Set([...example.matchAll(/\b([A-Z][A-Z0-9_]*)\b/g)].map((m) => m[1]));
  const missing = [...new Set([...serviceVariables, ...composeVariables])].filter((name) => !listed.has(name));
  assert.deepEqual(missing, [], '.env.example lacks these variables');
  // Placeholders only: nothing that looks like a real key.
  assert.doesNotMatch(example, /sk-[A-Za-z0-9]{20,}|ghp_[A-Za-z0-9]{20,}|-----BEGIN/);
});

const dockerCli = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0;

test('docker compose config is clean for both files', { skip: dockerCli ? false : 'no docker compose CLI' }, () => {
  for (const file of composeFiles) {
    const result = spawnSync('docker', ['compose', '--env-file', '.env.example', '-f', file, 'config', '--quiet'], { cwd: root, encoding: 'utf8' });
    assert.equal(result.status, 0, `${file}: ${result.stderr}`);
    assert.equal(result.stderr.trim(), '', `${file} warns: ${result.stderr}`);
  }
  // The prod file refuses to start without its secrets rather than running with defaults.
  const bare = spawnSync('docker', ['compose', '-f', 'docker-compose.prod.yml', 'config', '--quiet'], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  assert.notEqual(bare.status, 0);
  assert.match(bare.stderr, /set (IMAGE_OWNER|IMAGE_TAG|SCANNER_TOKEN|MCP_TOOLS_TOKEN|TRADING_AGENT_TOKEN|MCP_AUTH_TOKEN|POSTGRES_PASSWORD|ADMIN_PASSWORD|JWT_SECRET)/);
});

test('tools/deploy/deploy.sh parses and prints its usage on a bad command', () => {
  execFileSync('bash', ['-n', 'tools/deploy/deploy.sh'], { cwd: root });
  const result = spawnSync('bash', ['tools/deploy/deploy.sh', 'nonsense'], { cwd: root, encoding: 'utf8', env: { ...process.env, DEPLOY_STATE_DIR: join(root, 'tmp/deploy-usage'), ENV_FILE: '/nonexistent' } });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /pull-and-restart TAG/);
});

// Nx 23 shares one cache between every checkout of a repository (~/.nx/<id>/cache). A fresh
// clone under CI then restores outputs another checkout built, paths and all, and a scratch
// clone's "rebuild" is a cache replay: CI on a new machine is not what ran here.
test("the Nx cache is the checkout's own (.nx/cache), not shared with other clones", () => {
  const cacheDir = execFileSync(process.execPath, ['-p', "require('nx/src/utils/cache-directory').cacheDir"], { cwd: root, encoding: 'utf8', env: { ...process.env, NX_CACHE_DIRECTORY: '' } }).trim();
  assert.equal(cacheDir, join(root, '.nx/cache'));
});

test("the SBOM names a bundled file's package in this workspace, whichever checkout built the bundle", () => {
  assert.equal(packageDir('node_modules/zod/v4/core/util.js'), 'node_modules/zod');
  assert.equal(packageDir('../ci5/node_modules/zod/v4/core/util.js'), 'node_modules/zod');
  assert.equal(packageDir('/tmp/clone/node_modules/@fastify/cors/index.js'), 'node_modules/@fastify/cors');
  assert.equal(packageDir('node_modules/a/node_modules/@b/c/dist/x.js'), 'node_modules/a/node_modules/@b/c');
  assert.equal(packageDir('libs/market-data/src/index.ts'), undefined);
});

test('.dockerignore allow-lists the bundles and keeps secrets out', () => {
  const lines = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  assert.equal(lines[0], '*', 'the allow-list must start by excluding everything');
  for (const pattern of ['**/.env', '**/.env.*', '**/*.pem', '**/*.key', '**/*.log']) assert.ok(lines.includes(pattern), `missing ${pattern}`);
});

test('the workflow lint reports actions not pinned by a commit SHA with a # vX comment', () => {
  const workflow = [
    'jobs:',
    '  build:',
    '    steps:',
    '      - uses: actions/checkout@v4.2.2',
    '      - uses: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020',
    '      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2',
    '      - uses: ./.github/actions/local',
  ].join('\n');
  const findings = unpinnedActions(workflow, 'ci.yml').map((f) => `${f.line}:${f.column} ${f.message}`);
  assert.deepEqual(findings, [
    '4:15 "actions/checkout@v4.2.2" is not pinned by a full 40-hex commit SHA',
    '4:15 "actions/checkout@v4.2.2" has no trailing "# vX.Y.Z" comment naming the pinned version',
    '5:15 "actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020" has no trailing "# vX.Y.Z" comment naming the pinned version',
  ]);
});
