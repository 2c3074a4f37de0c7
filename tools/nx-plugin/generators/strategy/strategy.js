// `npx nx g @tradeyard/nx-plugin:strategy NAME [--directory=DIR]`: a strategy written with
// @tradeyard/strategy (a defineStrategy skeleton: one parameter, one indicator) and its spec (a
// backtest on SPX through the portfolio backtester, and the look-ahead and warm-up checks), in
// DIR (default `strategies`). A folder in no project becomes one (scope:agent, type:domain): its
// own jest.config.js, tsconfig.json and project.json, named after the folder (`user-strategies`
// for the default, as `strategies` is libs/strategies), so `npx nx test PROJECT` runs the spec
// and lint and typecheck cover the file. A folder inside a project goes with that project, which
// needs a Jest config to run the spec. The folder also works as STRATEGIES_DIR (the registry
// skips spec files).
const { join, posix } = require('node:path');
const { generateFiles, getProjects, joinPathFragments, normalizePath, offsetFromRoot, updateJson } = require('@nx/devkit');

const kebabCase = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** The project whose folder holds `directory`, if any (the deepest). */
function owningProject(tree, directory) {
  let owner;
  for (const [name, config] of getProjects(tree)) {
    const root = config.root === '.' ? '' : config.root;
    if (root !== '' && (directory === root || directory.startsWith(`${root}/`)) && (!owner || root.length > owner.root.length)) owner = { name, root };
  }
  return owner;
}

/** The name of a new project for `directory`: its path in kebab-case, `user-` first when a project has that name already. */
function newProjectName(tree, directory) {
  const name = directory.split('/').join('-').toLowerCase();
  return getProjects(tree).has(name) ? `user-${name}` : name;
}

/**
 * @param {import('@nx/devkit').Tree} tree
 * @param {{ name: string, directory?: string }} schema
 */
function normalizeOptions(tree, schema) {
  const name = String(schema.name ?? '');
  if (!kebabCase.test(name)) {
    throw new Error(`strategy name "${name}" is not kebab-case: use lower-case letters and digits in words joined by "-", starting with a letter (mean-revert)`);
  }
  const directory = normalizePath(posix.normalize(schema.directory ?? 'strategies')).replace(/^\.?\/+|\/+$/g, '');
  if (directory === '' || directory === '.' || directory.startsWith('..')) throw new Error(`--directory=${schema.directory} must be a folder inside the workspace`);
  for (const file of [`${name}.ts`, `${name}.spec.ts`]) {
    if (tree.exists(joinPathFragments(directory, file))) throw new Error(`${joinPathFragments(directory, file)} already exists`);
  }
  return { name, directory };
}

/** A folder in no project becomes a project of its own, with its TypeScript project reference. */
function addProject(tree, { directory }) {
  const projectName = newProjectName(tree, directory);
  generateFiles(tree, join(__dirname, 'project-files'), directory, { projectName, directory, offset: offsetFromRoot(directory), tmpl: '' });
  updateJson(tree, 'tsconfig.json', (tsconfig) => ({ ...tsconfig, references: [...tsconfig.references, { path: `./${directory}` }] }));
  return projectName;
}

/**
 * @param {import('@nx/devkit').Tree} tree
 * @param {{ name: string, directory?: string }} schema
 */
module.exports = async function strategyGenerator(tree, schema) {
  const options = normalizeOptions(tree, schema);
  const owner = owningProject(tree, options.directory);
  if (owner && !tree.exists(joinPathFragments(owner.root, 'jest.config.js'))) {
    throw new Error(`${options.directory} is in project ${owner.name}, which has no jest.config.js to run the strategy's spec: choose another --directory`);
  }
  const project = owner ? owner.name : addProject(tree, options);
  generateFiles(tree, join(__dirname, 'files'), options.directory, { ...options, tmpl: '' });
  return () => {
    process.stdout.write(`strategy ${options.name}: ${options.directory}/${options.name}.ts and its spec; run it with npx nx test ${project}\n`);
  };
};
