// Production compose file from the registry on 127.0.0.1, driven by tools/deploy: a signed
// tag deploys by digest (each image verified against the tests' cosign key); a tag whose
// gateway nobody signed is refused with nothing changed; a tag whose gateway never answers its
// healthcheck is rolled back to the recorded digests by the script itself (exit 1, the failing
// service named with its last log lines) and the data placed before survives.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { agentLoopOff, buyThroughMcp, composeProject, digestRef, docker, ensureStandins, freePort, orderAndPosition, owner, pushBrokenRelease, pushUnsignedRelease, registry, removeLocalTag, repository, run, shortSha, testSecrets, testSigningKey } from './delivery-support.mjs';

const goodTag = `sha-${shortSha()}`;
const brokenTag = `broken-${shortSha()}-${process.pid}`;
const unsignedTag = `unsigned-${shortSha()}-${process.pid}`;
const secrets = testSecrets();
const stateDir = mkdtempSync(join(tmpdir(), 'tradeyard-deploy-'));
const project = `typrod${process.pid}`;
const files = ['docker-compose.prod.yml', 'docker-compose.standins.yml'];
let env;
let stack;
let urls;
let goodGateway;

before(async () => {
  ensureStandins();
  const ports = { GATEWAY_PORT: String(await freePort()), MCP_PORT: String(await freePort()) };
  urls = { gateway: `http://127.0.0.1:${ports.GATEWAY_PORT}`, mcp: `http://127.0.0.1:${ports.MCP_PORT}/mcp` };
  env = { ...secrets, ...agentLoopOff, ...ports, REGISTRY: registry, IMAGE_OWNER: owner, COMPOSE_PROJECT_NAME: project, COMPOSE_FILES: files.join(':'), DEPLOY_STATE_DIR: stateDir, ENV_FILE: '/nonexistent', HEALTH_TIMEOUT: '120', LOG_LINES: '20', COSIGN_PUBLIC_KEY: testSigningKey().pub };
  stack = composeProject(project, files, { ...env, IMAGE_TAG: goodTag });
  pushBrokenRelease(goodTag, brokenTag);
  pushUnsignedRelease(goodTag, unsignedTag);
  goodGateway = digestRef('api-gateway', goodTag);
});

after(() => {
  stack?.destroy();
  rmSync(stateDir, { recursive: true, force: true });
  removeLocalTag(brokenTag);
  removeLocalTag(unsignedTag);
});

const deploy = (...args) => run('bash', ['tools/deploy/deploy.sh', ...args], env);
const runningGatewayImage = () => docker('inspect', '--format', '{{.Config.Image}}', stack.compose('ps', '-q', 'api-gateway'));

let placed;

test(`pull-and-restart ${goodTag}: verified, run by digest, every service healthy`, async () => {
  const result = await deploy('pull-and-restart', goodTag);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /signatures verified: /);
  assert.match(result.stderr, /all services healthy on sha-/);
  assert.match(goodGateway, /@sha256:[0-9a-f]{64}$/);
  assert.equal(runningGatewayImage(), goodGateway);
  assert.match(readFileSync(join(stateDir, 'current-release'), 'utf8'), new RegExp(`^api-gateway ${goodGateway}$`, 'm'));
  assert.equal(readFileSync(join(stateDir, 'current-tag'), 'utf8').trim(), goodTag);
  // read-only root filesystem, published ports limited to the gateway and mcp-tools
  const gateway = stack.compose('ps', '-q', 'api-gateway');
  assert.equal(docker('inspect', '--format', '{{.HostConfig.ReadonlyRootfs}}', gateway), 'true');
  assert.equal(docker('port', stack.compose('ps', '-q', 'scanner')), '', 'scanner must not be published');
  assert.match(docker('port', gateway), /8080\/tcp -> /);
});

test('data placed on the good tag is visible', async () => {
  placed = await buyThroughMcp(urls.mcp, secrets.MCP_AUTH_TOKEN, 'SPX', 2);
  const { order, position } = await orderAndPosition(urls.gateway, secrets.SERVICE_TOKEN, placed);
  assert.equal(order?.status, 'filled');
  assert.equal(position?.quantity, 2);
});

test('a tag whose gateway nobody signed is refused, naming the image, and nothing changes', async () => {
  const runningBefore = docker('ps', '-q', '--filter', `label=com.docker.compose.project=${project}`).split('\n').sort();
  const result = await deploy('pull-and-restart', unsignedTag);
  assert.equal(result.code, 4, result.stderr);
  assert.match(result.stderr, new RegExp(`refusing: api-gateway image ${repository('api-gateway')}@sha256:[0-9a-f]{64} has no valid signature .*; nothing changed`));
  assert.equal(runningGatewayImage(), goodGateway);
  assert.deepEqual(docker('ps', '-q', '--filter', `label=com.docker.compose.project=${project}`).split('\n').sort(), runningBefore, 'containers were replaced');
  assert.equal(readFileSync(join(stateDir, 'current-tag'), 'utf8').trim(), goodTag);
});

test('a tag whose gateway fails its healthcheck is rolled back to the recorded digests, data kept', async () => {
  const result = await deploy('pull-and-restart', brokenTag);
  assert.equal(result.code, 1, `expected exit 1 (rolled back); stderr:\n${result.stderr}`);
  assert.match(result.stderr, /service api-gateway is not healthy on broken-/);
  assert.match(result.stderr, /broken release: not serving/, 'the failing service log lines are missing');
  assert.match(result.stderr, new RegExp(`rolling back to ${goodTag} \\(.*${goodGateway.replace(/[.]/g, '\\.')}`));
  assert.equal(runningGatewayImage(), goodGateway);
  await stack.waitHealthy(60_000);
  assert.equal(readFileSync(join(stateDir, 'current-tag'), 'utf8').trim(), goodTag);
  assert.ok(placed, 'no order was placed (see the previous test)');
  const { order, position } = await orderAndPosition(urls.gateway, secrets.SERVICE_TOKEN, placed);
  assert.equal(order?.id, placed.id, 'order lost in the rollback');
  assert.equal(position?.quantity, 2, 'position lost in the rollback');
});

test('rollback to a named tag, and a tag missing from the registry changes nothing', async () => {
  const rolled = await deploy('rollback', goodTag);
  assert.equal(rolled.code, 0, rolled.stderr);
  const missing = await deploy('pull-and-restart', 'sha-0000000');
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /pull of sha-0000000 failed .*; nothing changed/);
  assert.equal(runningGatewayImage(), goodGateway);
});
