// The prod compose file deployed unchanged to Docker Swarm (a one-node swarm on 127.0.0.1,
// host-mode published ports): the stack comes up healthy, and a rolling update to a tag whose
// gateway never turns healthy is rolled back by Swarm itself (update_config failure_action);
// and a start-first rolling update of the gateway to a new image, watched by a client polling
// /health every 100 ms from inside the swarm network, loses no request. With AGENT_REPLICAS=2 both
// trading-agent replicas take chunks of one grid (libs/jobs on the stack's PostgreSQL).
// The test leaves the swarm afterwards, unless the engine was in one before it started.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor200 } from '../start/health.mjs';
import { digestRef, docker, ensureStandins, freePort, owner, pushBrokenRelease, quietly, shortHealthGrace, registry, removeLocalTag, run, sh, shortSha, sleep, testSecrets } from './delivery-support.mjs';

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
  env = { ...testSecrets(), ...ports, ...shortHealthGrace, REGISTRY: registry, IMAGE_OWNER: owner, AGENT_REPLICAS: '2', AGENT_WORKERS: '1', JOBS_GRID_CHUNK_RUNS: '50' };
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
  assert.ok(await waitFor200(`${gatewayUrl}/health`, 240_000), `gateway not healthy on the host-mode port: ${docker('service', 'ps', '--no-trunc', gatewayService)}`);
  assert.equal(inspectGateway('{{.Spec.UpdateConfig.FailureAction}}'), 'rollback');
  assert.match(inspectGateway('{{.Spec.TaskTemplate.ContainerSpec.Image}}'), new RegExp(`:${goodTag}(@|$)`));
  const postgres = docker('service', 'inspect', '--format', '{{json .Spec.TaskTemplate.Placement.Constraints}}', `${stackName}_postgres`);
  assert.match(postgres, /node\.role == manager/);
});

/**
 * Submits a grid to the trading agent from inside the gateway's task (on the stack's network, with
 * the trading agent's credential, which the gateway holds too) and prints the finished job's status
 * and each chunk's worker. Not from inside a trading-agent task: its memory limit is for its grid.
 */
const gridScript = `
const base = 'http://trading-agent:8082';
const headers = { authorization: 'Bearer ' + process.env.TRADING_AGENT_TOKEN, 'content-type': 'application/json' };
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const body = { strategy: { name: 'breakout', entryPeriod: range(2, 20), exitPeriod: range(2, 20) }, data: { source: 'sp500' } };
const pause = () => new Promise((resolve) => setTimeout(resolve, 250));
// A replica may answer 503 while its job queue opens its database, or reset a connection while it
// starts: it is asked again (any replica serves any job).
const ask = async (path, init = {}) => {
  for (let i = 0; ; i++) {
    const answer = await fetch(base + path, { headers, ...init }).catch((err) => (i < 40 ? undefined : Promise.reject(err)));
    if (answer && (answer.status !== 503 || i >= 40)) return answer;
    await pause();
  }
};
const accepted = await ask('/api/v1/grids', { method: 'POST', body: JSON.stringify(body) });
if (accepted.status !== 202) {
  console.log(JSON.stringify({ status: 'refused ' + accepted.status + ': ' + (await accepted.text()) }));
  process.exit(0);
}
const { id } = await accepted.json();
for (let i = 0; i < 1200; i++) {
  const job = await (await ask('/api/v1/jobs/' + id)).json();
  if (['done', 'failed', 'cancelled'].includes(job.status)) {
    console.log(JSON.stringify({ status: job.status, runs: job.result?.runs?.length, workers: job.chunks.map((c) => c.worker) }));
    process.exit(0);
  }
  await pause();
}
console.log(JSON.stringify({ status: 'timed out' }));
`;

test('AGENT_REPLICAS=2: both trading-agent replicas take chunks of one grid', async () => {
  const service = `${stackName}_trading-agent`;
  const tasks = () => docker('ps', '-q', '--filter', `label=com.docker.swarm.service.name=${service}`, '--filter', 'health=healthy').split('\n').filter(Boolean);
  for (let i = 0; i < 240 && tasks().length < 2; i++) await sleep(1000);
  const replicas = tasks();
  assert.equal(replicas.length, 2, `two healthy trading-agent tasks expected: ${docker('service', 'ps', '--no-trunc', service)}`);
  const gateway = docker('ps', '-q', '--filter', `label=com.docker.swarm.service.name=${gatewayService}`).split('\n')[0];
  const submitted = await run('docker', ['exec', gateway, 'node', '--input-type=module', '-e', gridScript]);
  assert.equal(submitted.code, 0, submitted.stderr);
  const job = JSON.parse(submitted.stdout.split('\n').filter(Boolean).at(-1));
  assert.deepEqual({ status: job.status, runs: job.runs }, { status: 'done', runs: 19 * 19 });
  // A worker is host:pid, its host a task's container hostname: two of the service's tasks took chunks.
  const hosts = new Set(job.workers.map((worker) => worker.split(':')[0]));
  const taskHosts = docker('ps', '-aq', '--filter', `label=com.docker.swarm.service.name=${service}`).split('\n').filter(Boolean).map((id) => docker('inspect', '--format', '{{.Config.Hostname}}', id));
  // A task that stopped meanwhile would show as a third host: say why it stopped.
  const stopped = docker('ps', '-aq', '--filter', `label=com.docker.swarm.service.name=${service}`, '--filter', 'status=exited').split('\n').filter(Boolean);
  const why = stopped.map((id) => docker('inspect', '--format', '{{.Config.Hostname}}: exit {{.State.ExitCode}}, OOMKilled {{.State.OOMKilled}}, {{.State.Error}}', id)).join('; ');
  assert.equal(hosts.size, 2, `chunks taken by ${job.workers.join(', ')}${why ? `; stopped tasks: ${why}` : ''}`);
  for (const host of hosts) assert.ok(taskHosts.includes(host), `${host} is not a task of ${service}: ${taskHosts.join(', ')}`);
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
  assert.ok(await waitFor200(`${gatewayUrl}/health`, 240_000), 'gateway not healthy after the rollback');
});

// A client inside the swarm's network: polls /health every 100 ms until SIGTERM, then prints
// {ok, failed, errors}. A fresh connection per request (no keep-alive), as a load balancer's
// health probe or a short-lived client makes them; DNS (dnsrr) is asked each time.
const poller = `
const http = require('node:http');
const url = process.argv[1];
const result = { ok: 0, failed: 0, errors: [] };
let stop = false;
process.on('SIGTERM', () => (stop = true));
const once = () => new Promise((done) => {
  const req = http.get(url, { agent: false, timeout: 10000 }, (res) => {
    res.resume();
    res.on('end', () => { if (res.statusCode === 200) result.ok++; else { result.failed++; result.errors.push('status ' + res.statusCode); } done(); });
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => { result.failed++; result.errors.push(e.code || e.message); done(); });
});
(async () => {
  while (!stop) { const started = Date.now(); await once(); await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started)))); }
  console.log(JSON.stringify(result));
})();
`;

test('a start-first rolling update of the gateway loses no request (client polling every 100 ms)', async () => {
  const name = `tyroll${process.pid}`;
  const network = `${name}-net`;
  const good = digestRef('api-gateway', goodTag);
  const next = `${name}-next:latest`;
  try {
    // the next release: the same gateway as a new image (one more label), so the update replaces every task
    sh('docker', ['build', '-q', '-t', next, '-'], {}, `FROM ${good}\nLABEL org.tradeyard.test=${name}\n`);
    docker('network', 'create', '--driver', 'overlay', '--attachable', network);
    const secrets = testSecrets();
    docker('service', 'create', '--detach', '--name', name, '--network', network, '--endpoint-mode', 'dnsrr', '--replicas', '1',
      '--update-order', 'start-first', '--update-failure-action', 'rollback', '--update-monitor', '10s', '--stop-grace-period', '15s',
      // Health probes that a loaded machine (CI beside another run) answers in time: what this test
      // checks is that no request is lost, not how fast a probe answers.
      '--health-timeout', '10s', '--health-retries', '6',
      ...['ADMIN_PASSWORD', 'SCANNER_TOKEN', 'MCP_TOOLS_TOKEN', 'TRADING_AGENT_TOKEN', 'JWT_SECRET', 'MCP_AUTH_TOKEN'].flatMap((k) => ['--env', `${k}=${secrets[k]}`]), '--env', 'AGENT_LIVE=off', good);
    let healthy = false;
    for (let i = 0; i < 90 && !healthy; i++) {
      healthy = quietly(() => docker('inspect', '--format', '{{.State.Health.Status}}', docker('ps', '-q', '--filter', `label=com.docker.swarm.service.name=${name}`))) === 'healthy';
      if (!healthy) await sleep(1000);
    }
    assert.ok(healthy, `the gateway service did not turn healthy: ${docker('service', 'ps', '--no-trunc', name)}`);
    const client = docker('run', '-d', '--network', network, '--entrypoint', 'node', good, '-e', poller, `http://${name}:8080/health`);
    try {
      await sleep(3000);
      const updated = await run('docker', ['service', 'update', '--detach=false', '--no-resolve-image', '--image', next, name]);
      assert.equal(updated.code, 0, updated.stderr);
      assert.equal(docker('service', 'inspect', '--format', '{{.UpdateStatus.State}}', name), 'completed');
      await sleep(3000);
    } finally {
      docker('stop', '--time', '10', client);
    }
    const result = JSON.parse(docker('logs', client).split('\n').filter(Boolean).at(-1));
    quietly(() => docker('rm', client));
    console.log(`rolling update: ${result.ok} requests answered, ${result.failed} failed`);
    assert.ok(result.ok >= 50, `only ${result.ok} requests were answered`);
    assert.deepEqual({ failed: result.failed, errors: result.errors }, { failed: 0, errors: [] });
    assert.equal(docker('service', 'inspect', '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}', name), next);
  } finally {
    quietly(() => docker('service', 'rm', name));
    for (let i = 0; i < 30 && docker('ps', '-aq', '--filter', `label=com.docker.swarm.service.name=${name}`); i++) await sleep(1000);
    quietly(() => docker('network', 'rm', network));
    quietly(() => docker('image', 'rm', next));
  }
});
