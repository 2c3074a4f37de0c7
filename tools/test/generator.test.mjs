// Platform tier: `npx nx g @tradeyard/nx-plugin:service` in a scratch clone of HEAD (sharing this
// checkout's node_modules) makes a service with the other apps' targets and tags that builds,
// tests, typechecks and lints, starts from its bundle and answers /health /ready /metrics, is in
// both compose files and in the affected-images list, and builds its image. The compose check
// needs the docker compose CLI and the image build a Docker engine (`docker info`): without
// them those tests are skipped saying so, and under CI=true they fail instead, as the container
// tier does.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { scratchClone } from './scratch-clone.mjs';

const ci = process.env.CI === 'true' || process.env.CI === '1';
const name = 'quotes-demo';
const succeeds = (command, args) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;
const engine = succeeds('docker', ['info']);
const compose = succeeds('docker', ['compose', 'version']);
// The image names asserted below are the defaults (.env.container, the compose files), whatever the caller's environment names.
const imageSettings = ['REGISTRY', 'IMAGE_OWNER', 'IMAGE_TAG'];
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !imageSettings.includes(key))), NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
const { dir: clone, run, nx, failing, create, remove } = scratchClone('tradeyard-generator-', env);

before(() => {
  create();
  nx('g', '@tradeyard/nx-plugin:service', name, '--no-interactive');
  // Committed, so that affected-images sees the generated service as the change since HEAD~1.
  run('git', ['add', '-A']);
  run('git', ['-c', 'user.name=generator test', '-c', 'user.email=generator-test@localhost', 'commit', '--quiet', '-m', `generate ${name}`]);
});

after(remove);

test('refuses a name that is not kebab-case, and a port another app uses, saying why', () => {
  assert.match(failing('npx', ['nx', 'g', '@tradeyard/nx-plugin:service', 'Quotes_Demo', '--no-interactive', '--dry-run']), /"Quotes_Demo" is not kebab-case/);
  assert.match(failing('npx', ['nx', 'g', '@tradeyard/nx-plugin:service', 'other-demo', '--port=8081', '--no-interactive', '--dry-run']), /port 8081 is scanner's/);
});

test('the project has the targets and tags of the other apps, its port one above theirs', () => {
  const project = JSON.parse(nx('show', 'project', name, '--json'));
  for (const target of ['build', 'serve', 'test', 'typecheck', 'lint', 'layer', 'container']) assert.ok(project.targets[target], `no ${target} target`);
  assert.deepEqual(project.tags, [`scope:${name}`, 'type:app']);
  assert.deepEqual(project.targets.container.options['build-args'], [`APP=${name}`, 'PORT=8083']);
  assert.deepEqual(project.implicitDependencies, ['node-runtime']);
});

test('it builds, tests, typechecks and lints, and its TypeScript references are in sync', () => {
  nx('run-many', '-t', 'build', 'test', 'typecheck', 'lint', '-p', name, '--parallel=1', '--outputStyle=static', '--skip-nx-cache');
  nx('sync:check');
});

/** A TCP port nothing listens on right now. */
const freePort = () =>
  new Promise((resolvePort) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });

/** Resolves when the child logs `<name> listening`; rejects with its output if it exits first. */
const listening = (child) =>
  new Promise((resolveStarted, reject) => {
    const lines = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (line.includes(`"msg":"${name} listening"`)) resolveStarted();
    });
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code} before listening:\n${lines.join('\n')}`)));
  });

test('its bundle starts and answers /health, /ready and /metrics', async (t) => {
  const port = await freePort();
  const child = spawn('node', [join(clone, 'dist/apps', name, 'main.js')], { env: { ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill());
  await listening(child);
  for (const path of ['/health', '/ready', '/metrics']) {
    assert.equal((await fetch(`http://127.0.0.1:${port}${path}`)).status, 200, path);
  }
});

test('both compose files run it', { skip: !compose && !ci && 'no docker compose CLI' }, () => {
  assert.ok(compose, 'CI=true requires the docker compose CLI');
  const config = (file, extraEnv = {}) => JSON.parse(run('docker', ['compose', '-f', file, 'config', '--format', 'json'], { env: { ...env, ...extraEnv } })).services[name];
  const dev = config('docker-compose.dev.yml');
  assert.deepEqual(dev.build.args, { APP: name, PORT: '8083' });
  assert.equal(dev.image, `ghcr.io/tradeyard/tradeyard-${name}:dev`);
  const prodEnv = { IMAGE_OWNER: 'acme', IMAGE_TAG: 'sha-1234567', SCANNER_TOKEN: 's', MCP_TOOLS_TOKEN: 'mt', TRADING_AGENT_TOKEN: 't', MCP_AUTH_TOKEN: 'm', POSTGRES_PASSWORD: 'p', ADMIN_PASSWORD: 'a', JWT_SECRET: 'j' };
  assert.equal(config('docker-compose.prod.yml', prodEnv).image, `ghcr.io/acme/tradeyard-${name}:sha-1234567`);
});

test('the affected-images list has its image', () => {
  assert.ok(run('node', ['tools/affected-images.mjs', '--base=HEAD~1', '--head=HEAD']).split('\n').includes(`tradeyard-${name}`));
});

test('its container target builds the image', { skip: !engine && !ci && 'no Docker engine (docker info failed)' }, (t) => {
  assert.ok(engine, 'CI=true requires a Docker engine for the image build');
  nx('run', `${name}:container`, '--outputStyle=static');
  // Tagged sha-<short> among others (nx.json's container metadata), from .env.container's registry and owner.
  const image = `ghcr.io/tradeyard/tradeyard-${name}:sha-${run('git', ['rev-parse', '--short=7', 'HEAD']).trim()}`;
  const [inspect] = JSON.parse(run('docker', ['image', 'inspect', image]));
  // By id: that removes every tag the build gave it (the branch's too).
  t.after(() => spawnSync('docker', ['image', 'rm', '--force', inspect.Id], { stdio: 'ignore' }));
  assert.ok(inspect.Config.Env.includes('PORT=8083'), inspect.Config.Env.join(' '));
  assert.ok(inspect.Config.Env.includes(`APP_NAME=${name}`), inspect.Config.Env.join(' '));
});
