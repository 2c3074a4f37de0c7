import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// The project graph is the architecture (shared/design.md). Every project has a scope (which
// service it serves, or shared) and a type (its layer); these rules are what the tags mean.
// Imports go only through a library's public index, and a library never imports an app.
const scopes = {
  'scope:shared': ['scope:shared'],
  'scope:gateway': ['scope:gateway', 'scope:shared'],
  'scope:scanner': ['scope:scanner', 'scope:shared'],
  'scope:mcp': ['scope:mcp', 'scope:shared'],
  'scope:agent': ['scope:agent', 'scope:shared'],
  // Tests that check one service's code against another's (the fill parity of backtest and broker).
  'scope:verification': ['scope:verification', 'scope:gateway', 'scope:agent', 'scope:shared'],
};
// What a layer may import from production code. Domain and util code is pure: no HTTP platform
// (service-kit, Fastify) and no data access (persistence, SQL and HTTP clients), not even
// through an npm package. Nothing but specs imports a testing library.
const productionTypes = {
  'type:app': ['type:feature', 'type:platform', 'type:data-access', 'type:domain', 'type:util'],
  'type:feature': ['type:feature', 'type:platform', 'type:data-access', 'type:domain', 'type:util'],
  'type:platform': ['type:util'],
  'type:data-access': ['type:data-access', 'type:domain', 'type:util'],
  'type:domain': ['type:domain', 'type:util'],
  'type:util': ['type:util'],
  'type:testing': ['type:testing', 'type:feature', 'type:platform', 'type:data-access', 'type:domain', 'type:util'],
};
// Specs and fixtures may also use testing libraries; an agent spec may run the MCP tools it trades through.
const specTypes = Object.fromEntries(Object.entries(productionTypes).map(([type, allowed]) => [type, [...new Set([...allowed, 'type:testing'])]]));
const specScopes = { ...scopes, 'scope:agent': [...scopes['scope:agent'], 'scope:mcp'] };
const platformPackages = ['fastify', '@fastify/*', 'fastify-plugin', 'fastify-type-provider-zod'];
const dataAccessPackages = ['pg', '@electric-sql/pglite', 'ioredis'];

const boundaries = (types, scopeRules = scopes) => ({
  allow: [],
  depConstraints: [
    ...Object.entries(scopeRules).map(([sourceTag, allowed]) => ({ sourceTag, onlyDependOnLibsWithTags: allowed })),
    ...Object.entries(types).map(([sourceTag, allowed]) => ({
      sourceTag,
      onlyDependOnLibsWithTags: allowed,
      ...(sourceTag === 'type:domain' || sourceTag === 'type:util' ? { bannedExternalImports: [...platformPackages, ...dataAccessPackages] } : {}),
    })),
  ],
});

export default [
  { ignores: ['**/dist', '**/node_modules', '**/coverage', '**/out-tsc', 'tmp'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries(productionTypes)],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/__fixtures__/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries(specTypes, specScopes)] },
  },
  {
    // The one shared testing library that starts the real gateway for the specs of every scope;
    // it may reach into the gateway scope (and only it may: everything else goes through HTTP).
    files: ['libs/gateway-testing/src/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries(specTypes, { ...specScopes, 'scope:shared': ['scope:shared', 'scope:gateway'] })] },
  },
  {
    // The workspace's Nx executor is CommonJS, as Nx loads executors: require is how it imports.
    files: ['tools/nx-plugin/**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
];
