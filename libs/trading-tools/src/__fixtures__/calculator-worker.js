// Worker entry for the calculator tests: loads the TypeScript sources through tsx with the
// workspace's path aliases, then serves as the app bundle's calculator worker does.
// A plain CJS script, since a worker thread cannot start from a .ts file.
/* eslint-disable @typescript-eslint/no-require-imports */
const { join } = require('node:path');

process.env.TSX_TSCONFIG_PATH = join(__dirname, '../../../../tsconfig.base.json');
require('tsx/cjs/api').register();
const { isCalculatorWorker, serveCalculatorWorker } = require('../calculator-pool.ts');

if (isCalculatorWorker()) serveCalculatorWorker();
