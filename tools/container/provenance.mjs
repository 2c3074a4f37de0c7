#!/usr/bin/env node
// SLSA v1 provenance predicate for one app image: what was built (the commit, the app, the
// Dockerfile), from what (the source commit and the pinned Node.js runtime), and by whom (the
// GitHub Actions run, or the machine). tools/container/attest.sh attests it to the digest.
//   node tools/container/provenance.mjs APP > provenance.json
// In GitHub Actions buildx also attaches its own BuildKit provenance; this one is produced the
// same way everywhere, so local and air-gapped registries get one too.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const git = (...args) => {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
};

export function provenance(app) {
  const env = process.env;
  const commit = git('rev-parse', 'HEAD') ?? 'unknown';
  const repository = env.GITHUB_REPOSITORY ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}` : (git('remote', 'get-url', 'origin') ?? 'unknown');
  const runtimeLock = JSON.parse(readFileSync(join(root, 'tools/container/node-runtime/package-lock.json'), 'utf8'));
  // every platform's Node.js (npm) and the Debian packages its libraries come from
  const nodePackages = Object.entries(runtimeLock.packages).filter(([path]) => path.startsWith('node_modules/node-linux-'));
  const debs = readFileSync(join(root, 'tools/container/node-runtime/debian-libs.lock'), 'utf8')
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(' '));
  const github = Boolean(env.GITHUB_RUN_ID);
  return {
    buildDefinition: {
      buildType: 'urn:tradeyard:nx-container-build:v1',
      externalParameters: { source: { uri: repository, digest: { gitCommit: commit } }, app, dockerfile: 'docker/Dockerfile', ref: env.GITHUB_REF ?? git('symbolic-ref', '-q', 'HEAD') ?? 'detached' },
      internalParameters: { buildArgs: { APP: app } },
      resolvedDependencies: [
        { uri: `git+${repository}`, digest: { gitCommit: commit } },
        ...nodePackages.map(([path, { version, integrity }]) => {
          const [algorithm, hash] = integrity.split('-');
          return { uri: `pkg:npm/${path.slice('node_modules/'.length)}@${version}`, digest: { [algorithm]: Buffer.from(hash, 'base64').toString('hex') } };
        }),
        ...debs.map(([, url, sha256]) => ({ uri: url, digest: { sha256 } })),
      ],
    },
    runDetails: {
      builder: { id: github ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : `local:${hostname()}` },
      metadata: { invocationId: github ? `${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT}` : `${hostname()}-${process.pid}`, startedOn: new Date().toISOString() },
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [app] = process.argv.slice(2);
  if (!app) {
    process.stderr.write('usage: provenance.mjs APP\n');
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(provenance(app), null, 2) + '\n');
}
