#!/usr/bin/env node
// Prints what affected-only image builds save, measured in one run on this machine:
//   - the time to build one app's image vs all four (bundles and images rebuilt from
//     scratch: --skip-nx-cache and INPUT_NO_CACHE, so layer caches do not flatter either),
//   - the time of a no-op affected run (nothing changed: Nx computes the graph, builds nothing),
//   - each image's size beside its runtime layer (Node.js and the libraries it links, the
//     part every image shares), for this machine's platform.
// Needs a Docker engine (tools/container/toolchain.sh). Run: node tools/bench/container-build.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { services } from '../start/services.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const env = { ...process.env, REGISTRY: 'bench.local', IMAGE_OWNER: 'tradeyard', INPUT_NO_CACHE: 'true', NX_DAEMON: 'false' };

function timed(label, args) {
  const started = process.hrtime.bigint();
  const run = spawnSync('npx', ['nx', ...args, '--outputStyle=static'], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (run.status !== 0) throw new Error(`${label} failed:\n${run.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const size = (ref) => Number(execFileSync('docker', ['image', 'inspect', '--format', '{{.Size}}', ref], { encoding: 'utf8' }));

const one = timed('one image', ['run', 'scanner:container', '--skip-nx-cache']);
const all = timed('four images', ['run-many', '-t', 'container', '--parallel=1', '--skip-nx-cache', '--projects', services.map((s) => s.name).join(',')]);
const noop = timed('no-op affected', ['affected', '-t', 'container', '--base=HEAD', '--head=HEAD']);

console.log('container builds (this machine, one run)');
console.log(`  one app  (scanner)         ${one.toFixed(1)} s`);
console.log(`  all four apps              ${all.toFixed(1)} s   (${(all / one).toFixed(1)}x the one-app build)`);
console.log(`  no-op affected run         ${noop.toFixed(1)} s`);
console.log('image sizes (uncompressed, as `docker image inspect` reports)');
const sha = execFileSync('git', ['rev-parse', '--short=7', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
const refs = services.map((s) => [s.name, `bench.local/tradeyard/tradeyard-${s.name}:sha-${sha}`]);
// The runtime tree is the layer docker/Dockerfile unpacks first into its scratch stage (ADD dist/node-runtime/<arch>.tar /).
const runtime = Number(
  execFileSync('docker', ['history', '--human=false', '--no-trunc', '--format', '{{.Size}}\t{{.CreatedBy}}', refs[0][1]], { encoding: 'utf8' })
    .split('\n')
    .find((line) => line.includes('ADD dist/node-runtime/'))
    ?.split('\t')[0],
);
console.log(`  runtime layer (node + libs) ${mb(runtime)}`);
for (const [name, ref] of refs) {
  const bytes = size(ref);
  console.log(`  tradeyard-${name.padEnd(15)} ${mb(bytes)}   (+${mb(bytes - runtime)} over the runtime layer)`);
}
