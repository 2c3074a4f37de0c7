// Shared Jest settings: SWC strips types (the `typecheck` target checks them),
// and Nx's resolver maps the tsconfig.base.json path aliases (@tradeyard/*).
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }];

// Packages that ship only ES modules; Jest on Node 20 cannot require them, so SWC compiles them too.
const esmOnly = ['cookie', 'content-disposition', 'trading-signals', 'pg-boss', 'serialize-error', 'cron-parser', 'rrule-temporal', 'non-error'];

module.exports = {
  testEnvironment: require.resolve('./tools/test/jest-environment.mjs'),
  resolver: '@nx/jest/plugins/resolver',
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  transform: { '^.+\\.(ts|m?js)$': swc },
  transformIgnorePatterns: [`^(?!.*/node_modules/(${esmOnly.join('|')})/).*/node_modules/`],
  // Generous: a deadline in a test only catches a hang, and a loaded CI machine is slow, not broken.
  testTimeout: 120_000,
  // The second names failed tests in `npm test`'s summary (only when run-tests.mjs asks for it).
  reporters: ['default', require.resolve('./tools/test/jest-failures-reporter.mjs')],
};
