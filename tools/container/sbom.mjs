#!/usr/bin/env node
// CycloneDX 1.5 SBOM of one app's image: the npm packages its esbuild bundle really holds.
//   node tools/container/sbom.mjs APP [--version=V] > sbom.cdx.json
// The bundle hides its dependencies from image scanners (there is no node_modules in the
// image), and the app's package.json names none (every import is bundled). esbuild's
// metafile (dist/apps/<app>/meta.json, written by the build) lists every input file of the
// bundle, so the packages behind those files are the app's exact dependency closure, pruned
// by the bundler itself. Written by hand because the CycloneDX npm tools read an npm
// install tree, which is the whole workspace's, not one app's.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The package folder of a bundled file, relative to the workspace: from the first node_modules/
 * to the package after the last one. What comes before the first node_modules/ is dropped: a
 * bundle built in another checkout whose node_modules is a symlink to this one's (the scratch
 * clones of the container tests) names its inputs through that checkout's path.
 */
export function packageDir(input) {
  const match = /(?:^|\/)(node_modules\/(?:.*node_modules\/)?(?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match?.[1];
}

const purl = (name, version) => `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;

function licenses(manifest) {
  const license = typeof manifest.license === 'string' ? manifest.license : manifest.license?.type;
  if (!license) return undefined;
  // a plain SPDX id goes in `id`, anything else (an expression, "SEE LICENSE IN ...") as an expression
  return /^[A-Za-z0-9.+-]+$/.test(license) ? [{ license: { id: license } }] : [{ expression: license }];
}

export function sbom(app, version = '0.0.0') {
  const metafile = join(root, 'dist/apps', app, 'meta.json');
  if (!existsSync(metafile)) throw new Error(`${metafile} is missing: build the app first (nx run ${app}:build)`);
  const { inputs } = JSON.parse(readFileSync(metafile, 'utf8'));
  const dirs = new Set(Object.keys(inputs).map(packageDir).filter(Boolean));
  const components = new Map();
  for (const dir of dirs) {
    const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    const ref = purl(manifest.name, manifest.version);
    components.set(ref, {
      type: 'library',
      'bom-ref': ref,
      name: manifest.name,
      version: manifest.version,
      purl: ref,
      ...(licenses(manifest) && { licenses: licenses(manifest) }),
    });
  }
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: new Date().toISOString(),
      tools: { components: [{ type: 'application', name: 'tradeyard tools/container/sbom.mjs' }] },
      component: { type: 'container', name: `tradeyard-${app}`, version },
    },
    components: [...components.values()].sort((a, b) => a.name.localeCompare(b.name)),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [app, ...rest] = process.argv.slice(2);
  const version = rest.find((a) => a.startsWith('--version='))?.slice('--version='.length);
  if (!app || rest.some((a) => !a.startsWith('--version='))) {
    process.stderr.write('usage: sbom.mjs APP [--version=V]\n');
    process.exit(2);
  }
  try {
    process.stdout.write(JSON.stringify(sbom(app, version), null, 2) + '\n');
  } catch (error) {
    process.stderr.write(`sbom: ${error.message}\n`);
    process.exit(1);
  }
}
