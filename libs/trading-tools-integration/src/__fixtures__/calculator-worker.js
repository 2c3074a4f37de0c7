// Calculator worker entry for these tests: serves as the built main.js does when it
// re-enters as a calculator worker, but loads only the calculator's TypeScript sources (through
// tsx with the workspace's path aliases) rather than the whole app, so a replaced worker is
// ready in about a second even on a loaded 2-core CI machine (the whole app took 7-11 s, past
// the pool's wait bound). A plain CJS script, since a worker thread cannot start from a .ts file.
/* eslint-disable @typescript-eslint/no-require-imports */
const { join } = require('node:path');

process.env.TSX_TSCONFIG_PATH = join(__dirname, '../../../../tsconfig.base.json');
require('tsx/cjs/api').register();
const { isCalculatorWorker, serveCalculatorWorker } = require('../../../../libs/trading-tools/src/calculator-pool.ts');

if (isCalculatorWorker()) serveCalculatorWorker();
