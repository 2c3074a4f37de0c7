// `npx nx g @tradeyard/nx-plugin:service NAME [--port=N]`: a new service under apps/NAME.
// @nx/node's application generator registers the project; everything it would add that the
// other apps do not have (tsconfig.app.json, per-project settings, a tslib dependency, an
// nx.json target default, .vscode) is dropped, and the app gets the workspace's shape instead:
// targets that inherit nx.json's targetDefaults (build, serve, typecheck, layer, container; test
// and lint are inferred from jest.config.js and eslint.config.mjs), tags scope:NAME and type:app,
// a service-kit app with /health /ready /metrics, a service in both compose files, its scope in the module-boundary rules and its TypeScript project reference.
// tools/affected-images.mjs lists every project with a container target, so the image joins
// the affected-images list and the images workflow by itself.
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { generateFiles, getProjects, names, readProjectConfiguration, updateJson, updateProjectConfiguration } = require('@nx/devkit');
const { applicationGenerator } = require('@nx/node');

const kebabCase = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** @param {import('@nx/devkit').Tree} tree */
function portsInUse(tree) {
  const ports = new Map();
  for (const [project, config] of getProjects(tree)) {
    const portArg = (config.targets?.container?.options?.['build-args'] ?? []).find((arg) => arg.startsWith('PORT='));
    if (portArg) ports.set(Number(portArg.slice('PORT='.length)), project);
  }
  return ports;
}

/**
 * @param {import('@nx/devkit').Tree} tree
 * @param {{ name: string, port?: number }} schema
 */
function normalizeOptions(tree, schema) {
  const name = String(schema.name ?? '');
  if (!kebabCase.test(name)) {
    throw new Error(`service name "${name}" is not kebab-case: use lower-case letters and digits in words joined by "-", starting with a letter (quotes-demo)`);
  }
  if (getProjects(tree).has(name)) throw new Error(`a project named "${name}" already exists`);
  const ports = portsInUse(tree);
  // One above the highest port in use (8080 for a first service).
  const port = schema.port ?? Math.max(8079, ...ports.keys()) + 1;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port=${schema.port} is not a TCP port (1-65535)`);
  if (ports.has(port)) throw new Error(`port ${port} is ${ports.get(port)}'s; choose another with --port`);
  return { ...names(name), name, port, projectRoot: `apps/${name}` };
}

/**
 * Undoes what the application generator changed outside the project's folder: the tree reads
 * files from disk, so the disk holds each file as it was before.
 * @param {import('@nx/devkit').Tree} tree
 */
function revertChangesOutside(tree, projectRoot) {
  for (const change of tree.listChanges()) {
    if (change.path.startsWith(`${projectRoot}/`)) continue;
    if (change.type === 'CREATE') tree.delete(change.path);
    else tree.write(change.path, readFileSync(join(tree.root, change.path)));
  }
}

/** @param {import('@nx/devkit').Tree} tree */
function configureProject(tree, options) {
  const project = readProjectConfiguration(tree, options.name);
  project.implicitDependencies = ['node-runtime'];
  // Empty targets take everything from nx.json's targetDefaults, as the other apps' do.
  project.targets = {
    build: {},
    serve: {},
    typecheck: {},
    layer: {},
    container: { options: { 'build-args': [`APP=${options.name}`, `PORT=${options.port}`] } },
  };
  updateProjectConfiguration(tree, options.name, project);
}

/** @param {import('@nx/devkit').Tree} tree */
function replaceSkeletonFiles(tree, options) {
  for (const file of tree.children(options.projectRoot)) {
    if (file !== 'project.json') tree.delete(`${options.projectRoot}/${file}`);
  }
  generateFiles(tree, join(__dirname, 'files'), options.projectRoot, { ...options, tmpl: '' });
}

/** Replaces `anchor` in `path` by `replacement(anchor)`, or fails naming what was not found. */
function editText(tree, path, anchor, replacement) {
  const text = tree.read(path, 'utf-8');
  const at = text?.search(anchor) ?? -1;
  if (at < 0) throw new Error(`${path}: cannot find ${anchor} to add the service to; add it by hand or restore the file`);
  const found = text.match(anchor)[0];
  tree.write(path, text.slice(0, at) + replacement(found) + text.slice(at + found.length));
}

/** A service's projects may import their own scope and shared ones, like every other service's. */
function addScopeRule(tree, { name }) {
  if (tree.read('eslint.config.mjs', 'utf-8')?.includes(`'scope:${name}'`)) {
    throw new Error(`scope:${name} is already a scope in eslint.config.mjs, with rules of its own; choose another name`);
  }
  editText(tree, 'eslint.config.mjs', /^ {2}'scope:shared': \['scope:shared'\],\n/m, (line) => `${line}  'scope:${name}': ['scope:${name}', 'scope:shared'],\n`);
}

const devService = ({ name, port, constantName }) => `  ${name}:
    <<: *app
    build: { context: ., dockerfile: docker/Dockerfile, args: { APP: ${name}, PORT: ${port} } }
    image: \${REGISTRY:-ghcr.io}/\${IMAGE_OWNER:-tradeyard}/tradeyard-${name}:\${IMAGE_TAG:-dev}
    environment:
      <<: *env
    volumes:
      - ${name}-data:/data
    ports:
      - "\${${constantName}_PORT:-${port}}:${port}"

`;

const prodService = ({ name, constantName }) => `  ${name}:
    <<: *app
    image: \${REGISTRY:-ghcr.io}/\${IMAGE_OWNER:?set IMAGE_OWNER}/tradeyard-${name}:\${IMAGE_TAG:?set IMAGE_TAG}
    environment:
      <<: *env
    volumes:
      - ${name}-data:/data
      - { type: tmpfs, target: /tmp, tmpfs: { mode: 01777 } }
    deploy:
      <<: *deploy
      replicas: \${${constantName}_REPLICAS:-1}

`;

/** Both compose files end with their top-level volumes: the service goes before them, its volume last. */
function addComposeService(tree, path, service, { name }) {
  editText(tree, path, /^volumes:\n(?: {2}.*\n|\n)*(?![\s\S])/m, (volumes) => `${service}${volumes.trimEnd()}\n  ${name}-data:\n`);
}

/** The reference `npx nx sync` would add: the new project is not in the project graph until it is on disk. */
function addProjectReference(tree, { projectRoot }) {
  updateJson(tree, 'tsconfig.json', (tsconfig) => ({ ...tsconfig, references: [...tsconfig.references, { path: `./${projectRoot}` }] }));
}

/**
 * @param {import('@nx/devkit').Tree} tree
 * @param {{ name: string, port?: number }} schema
 */
module.exports = async function serviceGenerator(tree, schema) {
  const options = normalizeOptions(tree, schema);
  // Its returned task would install the dependencies it added (tslib), which are reverted here.
  await applicationGenerator(tree, {
    directory: options.projectRoot,
    name: options.name,
    tags: `scope:${options.name},type:app`,
    bundler: 'esbuild',
    framework: 'none',
    linter: 'none',
    unitTestRunner: 'none',
    e2eTestRunner: 'none',
    useProjectJson: true,
    skipPackageJson: true,
    skipFormat: true,
  });
  revertChangesOutside(tree, options.projectRoot);
  configureProject(tree, options);
  replaceSkeletonFiles(tree, options);
  addScopeRule(tree, options);
  addComposeService(tree, 'docker-compose.dev.yml', devService(options), options);
  addComposeService(tree, 'docker-compose.prod.yml', prodService(options), options);
  addProjectReference(tree, options);
  // docs/ENVIRONMENT.md is generated from every apps/*/src/config.ts, so it needs the files on disk.
  return () => execFileSync('npx', ['tsx', 'tools/docs/env-reference.ts'], { cwd: tree.root, stdio: 'inherit' });
};
