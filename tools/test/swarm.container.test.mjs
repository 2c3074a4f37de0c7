// The prod compose file deployed unchanged to Docker Swarm (a one-node swarm on 127.0.0.1,
// host-mode published ports): the stack comes up healthy, and a rolling update to a tag whose
// gateway never turns healthy is rolled back by Swarm itself (update_config failure_action).
// The test leaves the swarm afterwards, unless the engine was in one before it started.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor200 } from '../start/health.mjs';
import { docker, ensureStandins, freePort, owner, pushBrokenRelease, quietly, registry, removeLocalTag, run, shortSha, sleep, testSecrets } from './delivery-support.mjs';

const goodTag = `sha-${shortSha()}`;
const brokenTag = `broken-swarm-${shortSha()}-${process.pid}`;
const stackName = `tyswarm${process.pid}`;
const files = ['-c', 'docker-compose.prod.yml', '-c', 'docker-compose.standins.yml'];
let env;
let gatewayUrl;
let joinedHere = false;

before(async () => {
  ensureStandins();
  pushBrokenRelease(goodTag, brokenTag);
  if (docker('info', '--format', '{{.Swarm.LocalNodeState}}') !== 'active') {
    docker('swarm', 'init', '--advertise-addr', '127.0.0.1');
    joinedHere = true;
  }
  const ports = { GATEWAY_PORT: String(await freePort()), MCP_PORT: String(await freePort()) };
  gatewayUrl = `http://127.0.0.1:${ports.GATEWAY_PORT}`;
  env = { ...testSecrets(), ...ports, REGISTRY: registry, IMAGE_OWNER: owner };
});

after(async () => {
  quietly(() => docker('stack', 'rm', stackName));
  // Stack removal is asynchronous: wait for its containers before removing volumes and network.
  for (let i = 0; i < 60 && docker('ps', '-aq', '--filter', `label=com.docker.stack.namespace=${stackName}`); i++) await sleep(1000);
  const volumes = docker('volume', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${stackName}`).split('\n').filter(Boolean);
  if (volumes.length) quietly(() => docker('volume', 'rm', ...volumes));
  quietly(() => docker('network', 'rm', `${stackName}_default`));
  if (joinedHere) {
    quietly(() => docker('swarm', 'leave', '--force'));
    quietly(() => docker('network', 'rm', 'docker_gwbridge'));
  }
  removeLocalTag(brokenTag);
});

const deployStack = (tag) => run('docker', ['stack', 'deploy', ...files, stackName], { ...env, IMAGE_TAG: tag });
const gatewayService = `${stackName}_api-gateway`;
const inspectGateway = (format) => docker('service', 'inspect', '--format', format, gatewayService);

test(`docker stack deploy of the prod file (${goodTag}) comes up healthy`, async () => {
  const deployed = await deployStack(goodTag);
  assert.equal(deployed.code, 0, deployed.stderr);
  assert.ok(await waitFor200(`${gatewayUrl}/health`, 120_000), `gateway not healthy on the host-mode port: ${docker('service', 'ps', '--no-trunc', gatewayService)}`);
  assert.equal(inspectGateway('{{.Spec.UpdateConfig.FailureAction}}'), 'rollback');
  assert.match(inspectGateway('{{.Spec.TaskTemplate.ContainerSpec.Image}}'), new RegExp(`:${goodTag}(@|$)`));
  const postgres = docker('service', 'inspect', '--format', '{{json .Spec.TaskTemplate.Placement.Constraints}}', `${stackName}_postgres`);
  assert.match(postgres, /node\.role == manager/);
});

test('a rolling update to a tag whose gateway fails its healthcheck rolls back by itself', async () => {
  const deployed = await deployStack(brokenTag);
  assert.equal(deployed.code, 0, deployed.stderr);
  let state = '';
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    state = inspectGateway('{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}');
    if (state === 'rollback_completed' || state === 'rollback_paused') break;
    await sleep(2000);
  }
  assert.equal(state, 'rollback_completed', `update status ${state}: ${quietly(() => inspectGateway('{{json .UpdateStatus}}'))}`);
  assert.match(inspectGateway('{{.Spec.TaskTemplate.ContainerSpec.Image}}'), new RegExp(`:${goodTag}(@|$)`));
  assert.ok(await waitFor200(`${gatewayUrl}/health`, 60_000), 'gateway not healthy after the rollback');
});
