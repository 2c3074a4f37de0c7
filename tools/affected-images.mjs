#!/usr/bin/env node
// Prints the container images a change between two commits rebuilds: the apps Nx finds
// affected (their sources, the libs they import, the Dockerfile and .dockerignore their
// `container` target reads, the lockfile) that have a `container` target. CI's images
// workflow builds exactly this list, so what you see here is what CI pushes.
//
//   node tools/affected-images.mjs --base=origin/main --head=HEAD   one image name per line
//   node tools/affected-images.mjs --base=... --format=projects      comma-separated Nx projects
//   node tools/affected-images.mjs --all                             every image (release tags)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { matchesGlob } from 'node:path';

const usage = 'usage: affected-images.mjs (--base=<rev> [--head=<rev>] | --all) [--format=images|projects|json]';
const args = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const match = /^--([a-z]+)(?:=(.*))?$/.exec(arg);
    if (!match) {
      process.stderr.write(`unknown argument ${arg}\n${usage}\n`);
      process.exit(2);
    }
    return [match[1], match[2] ?? 'true'];
  }),
);
const format = args.format ?? 'images';
if ((!args.base && !args.all) || !['images', 'projects', 'json'].includes(format)) {
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}

/**
 * The changed files an image is built from. `nx affected` marks a project touched by any file under
 * its root, so a spec or a fixture would rebuild images; here the files nx.json's `production`
 * input excludes ("!{projectRoot}/**\/*.spec.ts", fixtures, READMEs) are dropped first, so the list
 * follows the same inputs as the `container` target's cache.
 */
function productionChanges(base, head) {
  const nxJson = JSON.parse(readFileSync(new URL('../nx.json', import.meta.url), 'utf8'));
  const excluded = nxJson.namedInputs.production
    .filter((input) => input.startsWith('!{projectRoot}/'))
    .map((input) => `**/${input.slice('!{projectRoot}/'.length)}`);
  const git = (...gitArgs) => execFileSync('git', gitArgs, { encoding: 'utf8' }).trim();
  const changed = git('diff', '--name-only', '--no-renames', git('merge-base', base, head), head).split('\n').filter(Boolean);
  // path.matchesGlob (Node >= 20.17) is the glob matcher Node ships; no extra dependency for one test.
  return changed.filter((file) => !excluded.some((glob) => matchesGlob(file, glob)));
}

const nxArgs = ['nx', 'show', 'projects', '--withTarget', 'container', '--json'];
let projects = [];
if (args.all) projects = JSON.parse(execFileSync('npx', nxArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
else {
  const files = productionChanges(args.base, args.head ?? 'HEAD');
  if (files.length) {
    nxArgs.push('--affected', `--files=${files.join(',')}`);
    projects = JSON.parse(execFileSync('npx', nxArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
  }
}
projects.sort();
const images = projects.map((project) => `tradeyard-${project}`);

if (format === 'projects') process.stdout.write(projects.join(',') + '\n');
else if (format === 'json') process.stdout.write(JSON.stringify({ projects, images }) + '\n');
else if (images.length) process.stdout.write(images.join('\n') + '\n');
