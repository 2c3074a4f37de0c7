// @nx-tools/nx-container's build executor, unchanged, except in a checkout without a git
// remote: outside a CI provider it knows, nx-container reads the image's source URL from
// `git remote get-url origin` (then `upstream`) and fails without one (a downloaded archive, a
// fresh `git init`). There it runs with a `git` first on PATH that answers that one question
// with "unknown", so the OCI source label says what is not known instead of the build failing.
const { execFileSync } = require('node:child_process');
const { delimiter, dirname, join } = require('node:path');

// the package exports only its index; its executors.json names this file as the executor
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
    process.env.PATH = `${join(__dirname, 'git-without-remote')}${delimiter}${process.env.PATH}`;
  }
  return build(options, context);
};
