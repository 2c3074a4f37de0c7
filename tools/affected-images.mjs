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

const nxArgs = ['nx', 'show', 'projects', '--withTarget', 'container', '--json'];
if (!args.all) nxArgs.push('--affected', `--base=${args.base}`, `--head=${args.head ?? 'HEAD'}`);
const projects = JSON.parse(execFileSync('npx', nxArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })).sort();
const images = projects.map((project) => `tradeyard-${project}`);

if (format === 'projects') process.stdout.write(projects.join(',') + '\n');
else if (format === 'json') process.stdout.write(JSON.stringify({ projects, images }) + '\n');
else if (images.length) process.stdout.write(images.join('\n') + '\n');
