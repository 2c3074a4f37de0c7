#!/usr/bin/env node
// Lists the project-graph edges that only test files create: an import that appears in a spec or
// fixture of a project but in none of its production files. Nx draws the edge all the same, so
// `nx affected` (and tools/affected-images.mjs) would rebuild that project's image when the
// imported project changes. Tests that need more than their project's production imports belong
// in a test-only project (tag type:testing, like libs/scanner-integration). An edge to a project the
// source already reaches through production imports changes nothing `affected` computes, so it is
// not one. Exits 1 when any non-testing project has such an edge.
//
//   node tools/spec-edges.mjs
import { createRequire } from 'node:module';
import { matchesGlob } from 'node:path';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const { createProjectGraphAsync } = require('@nx/devkit');
// The file-level imports Nx found; the project graph only keeps their union per project. Nx has
// no public API for them, this internal module is where `nx graph` reads them from.
const { readFileMapCache } = require('nx/src/project-graph/nx-deps-cache');

/** Test-file globs: the ones nx.json's `production` input leaves out, as in affected-images.mjs. */
function testGlobs() {
  const nxJson = JSON.parse(readFileSync(new URL('../nx.json', import.meta.url), 'utf8'));
  return nxJson.namedInputs.production.filter((input) => input.startsWith('!{projectRoot}/')).map((input) => `**/${input.slice('!{projectRoot}/'.length)}`);
}

/** [{ source, target, files }] for every edge that only test files of a non-testing project create. */
export async function specOnlyEdges() {
  const graph = await createProjectGraphAsync({ exitOnError: true });
  const { projectFileMap } = readFileMapCache().fileMap;
  const globs = testGlobs();
  const candidates = [];
  const productionDeps = new Map();
  for (const [project, files] of Object.entries(projectFileMap)) {
    const production = new Set();
    productionDeps.set(project, production);
    const fromTests = new Map();
    for (const { file, deps = [] } of files) {
      const isTest = globs.some((glob) => matchesGlob(file, glob));
      for (const dep of deps) {
        // deps entries are a project name, or [source, target, type] for some dependency kinds.
        const target = Array.isArray(dep) ? dep[1] : dep;
        if (!graph.nodes[target] || target === project) continue;
        if (!isTest) production.add(target);
        else fromTests.set(target, [...(fromTests.get(target) ?? []), file]);
      }
    }
    if (graph.nodes[project]?.data.tags?.includes('type:testing')) continue;
    for (const [target, testFiles] of fromTests) if (!production.has(target)) candidates.push({ source: project, target, files: testFiles });
  }
  return candidates.filter((edge) => !reaches(productionDeps, edge.source, edge.target));
}

/** Whether `from` reaches `to` through production imports alone. */
function reaches(productionDeps, from, to) {
  const seen = new Set([from]);
  const queue = [from];
  while (queue.length) {
    for (const next of productionDeps.get(queue.shift()) ?? []) {
      if (next === to) return true;
      if (!seen.has(next)) seen.add(next), queue.push(next);
    }
  }
  return false;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const edges = await specOnlyEdges();
  for (const edge of edges) process.stdout.write(`${edge.source} -> ${edge.target}: only from ${edge.files.join(', ')}\n`);
  if (edges.length) {
    process.stdout.write(`${edges.length} edge(s) only test files create; move those tests into a type:testing project\n`);
    process.exit(1);
  }
  process.stdout.write('no project depends on another only through its tests\n');
}
