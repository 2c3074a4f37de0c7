// @nx-tools/nx-container's build executor, with two additions:
//
// Platforms. The image is built for each of `platforms` (nx.json: linux/amd64, linux/arm64;
// INPUT_PLATFORMS overrides). Without push, only this machine's platform is built and loaded
// (an engine without the containerd image store, like 20.10, holds one platform per tag).
// With push, a BuildKit builder of its own (docker-container driver, as setup-buildx-action
// makes in GitHub Actions) builds and pushes one manifest list in one run: nx-container as it
// is. The engine's own builder (docker driver) cannot push a list, so with it each platform is
// built and loaded in turn (this machine's last, so the local tags end on it), pushed as
// `<first tag>-<arch>`, and then every tag is pointed at one manifest list of them
// (`docker buildx imagetools create`). Either way the digest output
// (node_modules/.cache/nx-container/<project>/digest) is the list's: `docker pull` picks the
// host's platform from it, and tools/container/attest.sh signs it and every platform in it.
//
// Reproducible. Every build of a commit gives the same per-platform image digests on any machine
// with the toolchain (tools/container/toolchain.sh): SOURCE_DATE_EPOCH (the environment's, else
// the commit's time) goes to the build, which stamps the image config and history with it, and
// becomes the created label. The layers are tars with fixed times, owners and modes (the runtime's
// and the app's `layer` target), and an image has no RUN.
//
// No git remote: outside a CI provider it knows, nx-container reads the image's source URL
// with `git remote get-url origin` (then `upstream`) and fails without one (a downloaded
// archive, a fresh `git init`). Git counts only a repository's own config as a remote, so no
// setting can supply one; there, the lookup answers "unknown" instead, and the OCI source label
// says what is not known rather than the build failing.
const { execFileSync } = require('node:child_process');
const { mkdirSync, readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

// the package exports only its index; its executors.json names the executor's file
const nxContainer = dirname(require.resolve('@nx-tools/nx-container/package.json'));
const buildFile = join(nxContainer, require(join(nxContainer, 'executors.json')).executors.build.implementation);
const build = require(buildFile).default;
// the executor's own context module: its temp folder and its outputs
const nxContext = require(join(dirname(buildFile), 'context'));

const docker = (...args) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const hostPlatform = `linux/${{ x64: 'amd64', arm64: 'arm64' }[process.arch] ?? process.arch}`;

/** The driver of the buildx builder nx-container will use (the current one without a name). */
function builderDriver(builder) {
  return docker('buildx', 'inspect', ...(builder ? [builder] : [])).match(/^Driver:\s*(\S+)/m)?.[1];
}

function hasRemote(root) {
  return ['origin', 'upstream'].some((name) => {
    try {
      execFileSync('git', ['remote', 'get-url', name], { cwd: root, stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
}

/** SOURCE_DATE_EPOCH from the environment, else the time of the commit checked out. */
function sourceDateEpoch(root) {
  const given = process.env.SOURCE_DATE_EPOCH;
  if (given !== undefined) {
    if (!/^\d+$/.test(given)) throw new Error(`container: SOURCE_DATE_EPOCH must be whole seconds since 1970, not "${given}"`);
    return Number(given);
  }
  return Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: root, encoding: 'utf8' }).trim());
}

/** The options with SOURCE_DATE_EPOCH as a build argument and as the created label. */
function reproducible(options, context) {
  const epoch = sourceDateEpoch(context.root);
  const metadata = options.metadata ?? {};
  return {
    ...options,
    'build-args': [...(options['build-args'] ?? []), `SOURCE_DATE_EPOCH=${epoch}`],
    metadata: { ...metadata, labels: [...(metadata.labels ?? []), `org.opencontainers.image.created=${new Date(epoch * 1000).toISOString()}`] },
  };
}

/** nx-container reads its inputs from INPUT_* first, then from the options (as GitHub Actions do). */
function input(name, fallback) {
  return process.env[`INPUT_${name.toUpperCase()}`] || fallback;
}

/** Runs nx-container once with some INPUT_* variables set, restoring them afterwards. */
async function buildWith(inputs, options, context) {
  // nx-container makes its temp folder once per process and deletes it after a build
  mkdirSync(nxContext.tmpDir(), { recursive: true });
  const saved = Object.fromEntries(Object.keys(inputs).map((name) => [name, process.env[name]]));
  Object.assign(process.env, inputs);
  try {
    return await build(options, context);
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

module.exports = async function container(givenOptions, context) {
  const options = reproducible(givenOptions, context);
  if (!hasRemote(context.root)) {
    console.warn('container: no git remote origin or upstream; the image source label says "unknown"');
    // the same module instance nx-container's context uses (ci-context exports it for this)
    const { Git } = await import('@nx-tools/ci-context/src/lib/utils/git');
    Git.remoteURL = async () => 'unknown';
  }
  const platforms = [input('platforms', options.platforms ?? [])].flat().join(',').split(',').map((p) => p.trim()).filter(Boolean);
  const push = /^true$/i.test(String(input('push', options.push ?? false)));
  if (platforms.length <= 1) return build(options, context);
  if (!push) {
    // an engine without the containerd image store loads one platform: this machine's
    if (!platforms.includes(hostPlatform)) throw new Error(`container: ${hostPlatform} (this machine) is not among the platforms ${platforms.join(', ')}; set INPUT_PLATFORMS to one of them`);
    return buildWith({ INPUT_PLATFORMS: hostPlatform }, options, context);
  }
  if (builderDriver(input('builder', options.builder)) !== 'docker') return build(options, context);

  const outputs = join(context.root, 'node_modules/.cache/nx-container', context.projectName);
  const output = (name) => readFileSync(join(outputs, name), 'utf8').trim();
  const ordered = [...platforms.filter((p) => p !== hostPlatform), ...platforms.filter((p) => p === hostPlatform)];
  // the tags nx-container gives each build, from the same metadata rules (the docker driver's
  // metadata file does not name them)
  const { getMetadata } = await import('@nx-tools/container-metadata');
  const tags = (await getMetadata({ ...options.metadata, quiet: true }, context)).getTags();
  if (tags.length === 0) throw new Error('container: the metadata rules give no tag to push');
  const repository = tags[0].slice(0, tags[0].lastIndexOf(':'));
  const perPlatform = new Map();
  for (const platform of ordered) {
    await buildWith({ INPUT_PLATFORMS: platform, INPUT_PUSH: 'false', INPUT_LOAD: 'true' }, options, context);
    const platformTag = `${tags[0]}-${platform.split('/').slice(1).join('-')}`;
    docker('tag', output('imageid'), platformTag);
    const pushed = docker('push', platformTag);
    const digest = pushed.match(/digest: (sha256:[0-9a-f]{64})/)?.[1];
    if (!digest) throw new Error(`container: no digest in the output of docker push ${platformTag}:\n${pushed}`);
    console.log(`container: ${platform} is ${repository}@${digest} (${platformTag})`);
    perPlatform.set(platform, `${repository}@${digest}`);
  }
  console.log(`container: one manifest list of ${platforms.join(', ')} as ${tags.join(', ')}`);
  docker('buildx', 'imagetools', 'create', ...tags.flatMap((tag) => ['--tag', tag]), ...platforms.map((p) => perPlatform.get(p)));
  const index = JSON.parse(docker('buildx', 'imagetools', 'inspect', '--format', '{{json .Manifest}}', tags[0]));
  nxContext.setOutput('digest', index.digest, context);
  console.log(`container: ${tags[0]} is the manifest list ${index.digest}`);
  return { success: true };
};
