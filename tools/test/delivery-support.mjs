// Shared by the delivery container tests (compose, deploy, swarm): docker and compose calls,
// waiting for health, free host ports, throw-away secrets, and the two client calls the tests
// prove data with — an order placed through mcp-tools' `buy` tool (MCP SDK client, Streamable
// HTTP) and the gateway's orders and portfolio (REST with mcp-tools' credential, MCP_TOOLS_TOKEN).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const registry = process.env.TEST_REGISTRY ?? '127.0.0.1:5000';
/** The owner images.container.test.mjs pushes under. */
export const owner = 'tradeyard-test';
export const apps = ['api-gateway', 'scanner', 'mcp-tools', 'trading-agent'];
export const repository = (app) => `${registry}/${owner}/tradeyard-${app}`;
export const shortSha = () => execFileSync('git', ['rev-parse', '--short=7', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs a command in the repository (input on stdin, if given); returns stdout, throws with stderr on a non-zero exit. */
export function sh(command, args, env = {}, input = undefined) {
  return execFileSync(command, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20 }).trim();
}
export const docker = (...args) => sh('docker', args);

/** Like sh, but asynchronous and never throws: {code, stdout, stderr} (long runs, scripts expected to fail). */
export function run(command, args, env = {}) {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Ignores failures: cleanup must go on when something is already gone. */
export function quietly(fn) {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

export function freePort() {
  return new Promise((done, fail) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
    server.on('error', fail);
  });
}

/**
 * The cosign key pair the tests sign with (empty password), made once per checkout in
 * tmp/cosign; CI signs keyless instead (.github/workflows/images.yml).
 */
export function testSigningKey() {
  const dir = join(root, 'tmp/cosign');
  const key = { key: join(dir, 'test.key'), pub: join(dir, 'test.pub') };
  if (!existsSync(key.key) || !existsSync(key.pub)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('cosign', ['generate-key-pair', '--output-key-prefix', 'test'], { cwd: dir, env: { ...process.env, COSIGN_PASSWORD: '' }, stdio: 'ignore' });
  }
  return key;
}
const cosignEnv = () => ({ COSIGN_KEY: testSigningKey().key, COSIGN_PASSWORD: '' });

/** REPOSITORY@sha256:... of app's image under tag, as the registry serves it (pulled first). */
export function digestRef(app, tag) {
  docker('pull', '-q', `${repository(app)}:${tag}`);
  return docker('image', 'inspect', '--format', '{{range .RepoDigests}}{{println .}}{{end}}', `${repository(app)}:${tag}`)
    .split('\n')
    .find((ref) => ref.startsWith(`${repository(app)}@sha256:`));
}

/** Signs a pushed image and attests its SBOM and provenance, as CI does, with the test key. */
export const attestImage = (ref, app) => sh('bash', ['tools/container/attest.sh', ref, app], cosignEnv());

/** Whether ref carries a signature of the test key. */
export const verified = (ref) => quietly(() => sh('cosign', ['verify', '--key', testSigningKey().pub, '--insecure-ignore-tlog=true', '--allow-http-registry', ref])) !== undefined;

/** Only a signature (no attestations), for the images the tests derive from a release. */
export const signImage = (ref) => sh('cosign', ['sign', '--yes', '--key', testSigningKey().key, '--tlog-upload=false', '--allow-http-registry', ref], cosignEnv());

/** Fresh secrets for one test stack, long enough for every service's rules. */
export function testSecrets() {
  const secret = () => randomBytes(24).toString('base64url');
  return {
    ADMIN_PASSWORD: secret(),
    SCANNER_TOKEN: secret(),
    MCP_TOOLS_TOKEN: secret(),
    TRADING_AGENT_TOKEN: secret(),
    JWT_SECRET: secret(),
    MCP_AUTH_TOKEN: secret(),
    POSTGRES_PASSWORD: secret(),
  };
}

/**
 * The agent's live loop trades the same paper account as MCP_TOOLS_TOKEN; off, the orders
 * and positions the tests assert on are only their own.
 */
export const agentLoopOff = { AGENT_LIVE: 'off' };

/**
 * The compose files' health grace (HEALTH_START_PERIOD) for the deploy and Swarm tests: their broken
 * releases never pass a probe and turn unhealthy 10 s + 5 probes after start, not 30 s + 5 probes.
 * A healthy service still has 35 s to pass one (these gateways take about 10).
 */
export const shortHealthGrace = { HEALTH_START_PERIOD: '10s' };

/** Builds the air-gapped postgres/redis stand-ins (skipped when present). */
export function ensureStandins() {
  execFileSync('bash', ['tools/container/infra-images.sh'], { cwd: root, stdio: 'inherit' });
}

/** A compose project over the given files with its own environment. */
export function composeProject(project, files, env) {
  const args = ['compose', '-p', project, ...files.flatMap((f) => ['-f', f])];
  const compose = (...rest) => sh('docker', [...args, ...rest], env);
  return {
    compose,
    composeAsync: (...rest) => run('docker', [...args, ...rest], env),
    /** service -> "status/health" for every container of the project. */
    states() {
      const ids = compose('ps', '-aq').split('\n').filter(Boolean);
      if (!ids.length) return {};
      const lines = docker('inspect', '--format', '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}', ...ids);
      return Object.fromEntries(lines.split('\n').map((l) => l.split(' ')));
    },
    /** Resolves the ms it took until every container is running and healthy; throws on timeout. */
    async waitHealthy(timeoutMs, startedAt = Date.now()) {
      let states = {};
      while (Date.now() - startedAt < timeoutMs) {
        states = this.states();
        const values = Object.values(states);
        if (values.length && values.every((s) => s === 'running/healthy' || s === 'running/none')) return Date.now() - startedAt;
        await sleep(1000);
      }
      throw new Error(`not all healthy within ${timeoutMs} ms: ${JSON.stringify(states)}\n${quietly(() => compose('logs', '--no-color', '--tail', '20'))}`);
    },
    /** Removes containers, volumes and networks of the project (and its orphans). */
    destroy() {
      quietly(() => compose('--profile', 'worker', 'down', '-v', '--remove-orphans', '--timeout', '5'));
    },
  };
}

/** Places a market buy through mcp-tools' `buy` tool; returns the order the tool reports. */
export async function buyThroughMcp(mcpUrl, token, symbol, quantity) {
  const client = new Client({ name: 'tradeyard-delivery-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  try {
    const result = await client.callTool({ name: 'buy', arguments: { symbol, quantity } });
    if (result.isError) throw new Error(`buy failed: ${JSON.stringify(result.content)}`);
    return result.structuredContent ?? JSON.parse(result.content[0].text);
  } finally {
    await client.close();
  }
}

/** GET on the gateway's REST API with `token`; the parsed JSON body. */
export async function gatewayGet(baseUrl, token, path) {
  const response = await fetch(`${baseUrl}/api/v1${path}`, { headers: { Authorization: `Bearer ${token}` } });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** The order (by id) and the position in its symbol, as the gateway reports them now. */
export async function orderAndPosition(baseUrl, token, order) {
  const orders = await gatewayGet(baseUrl, token, `/orders?symbol=${order.symbol}&limit=1000`);
  const portfolio = await gatewayGet(baseUrl, token, '/portfolio');
  return { order: orders.find((o) => o.id === order.id), position: portfolio.positions.find((p) => p.symbol === order.symbol), portfolio };
}

export function removeLocalTag(tag) {
  for (const app of apps) quietly(() => docker('image', 'rm', `${repository(app)}:${tag}`));
}

/**
 * Pulls the release of this commit (the images images.container.test.mjs pushes and signs).
 * node --test runs test files in name order, so when a tag is not in the registry yet this
 * pushes it with the same Nx container targets and settings as that test, and signs what is
 * not signed yet.
 */
export function ensureRelease(tag) {
  const pull = () => apps.every((app) => quietly(() => docker('pull', '-q', `${repository(app)}:${tag}`)) !== undefined);
  if (!pull()) {
    execFileSync('npx', ['nx', 'run-many', '-t', 'container', '--parallel=1', '--outputStyle=static', '--projects', apps.join(',')], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, REGISTRY: registry, IMAGE_OWNER: owner, INPUT_PUSH: 'true', INPUT_LOAD: 'false', NX_DAEMON: 'false' },
    });
    if (!pull()) throw new Error(`the registry has no complete release ${tag} after pushing one`);
  }
  for (const app of apps) {
    const ref = digestRef(app, tag);
    if (!verified(ref)) attestImage(ref, app);
  }
}

/**
 * Pulls the good release (the images the container tier pushed and signed) and pushes a
 * derived one under tag: the good gateway image changed by `gatewayChange` (a Dockerfile
 * line), the other services unchanged — one tag for the whole release, as CI pushes it. The
 * derived gateway is signed when `signed`. The local copies of the tag are removed so that
 * deploying it pulls from the registry.
 */
function pushDerivedRelease(goodTag, tag, gatewayChange, signed) {
  ensureRelease(goodTag);
  const dockerfile = `FROM ${repository('api-gateway')}:${goodTag}\n${gatewayChange}\n`;
  execFileSync('docker', ['build', '-q', '-t', `${repository('api-gateway')}:${tag}`, '-'], { input: dockerfile, stdio: ['pipe', 'ignore', 'pipe'] });
  for (const app of apps.filter((a) => a !== 'api-gateway')) docker('tag', `${repository(app)}:${goodTag}`, `${repository(app)}:${tag}`);
  for (const app of apps) docker('push', '-q', `${repository(app)}:${tag}`);
  if (signed) signImage(digestRef('api-gateway', tag));
  removeLocalTag(tag);
}

/** A signed release whose gateway never serves /health (it logs why and idles). */
export const pushBrokenRelease = (goodTag, tag) =>
  pushDerivedRelease(goodTag, tag, `ENTRYPOINT ["node", "-e", "console.error('broken release: not serving'); setInterval(() => {}, 1e9)"]`, true);

/** A release whose gateway (a working image with one more label) nobody signed. */
export const pushUnsignedRelease = (goodTag, tag) => pushDerivedRelease(goodTag, tag, `LABEL org.tradeyard.test=unsigned-${tag}`, false);
