// @nx-tools/nx-container's build executor, unchanged, except in a checkout without a git
// remote: outside a CI provider it knows, nx-container reads the image's source URL with
// `git remote get-url origin` (then `upstream`) and fails without one (a downloaded archive,
// a fresh `git init`). Git counts only a repository's own config as a remote, so no setting
// can supply one; there, the lookup answers "unknown" instead, and the OCI source label says
// what is not known rather than the build failing.
const { execFileSync } = require('node:child_process');
const { dirname, join } = require('node:path');

// the package exports only its index; its executors.json names the executor's file
const nxContainer = dirname(require.resolve('@nx-tools/nx-container/package.json'));
const build = require(join(nxContainer, require(join(nxContainer, 'executors.json')).executors.build.implementation)).default;

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

module.exports = async function container(options, context) {
  if (!hasRemote(context.root)) {
    console.warn('container: no git remote origin or upstream; the image source label says "unknown"');
    // the same module instance nx-container's context uses (ci-context exports it for this)
    const { Git } = await import('@nx-tools/ci-context/src/lib/utils/git');
    Git.remoteURL = async () => 'unknown';
  }
  return build(options, context);
};
