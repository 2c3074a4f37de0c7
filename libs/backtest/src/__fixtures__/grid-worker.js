// Worker entry for grid.spec.ts: loads the TypeScript sources through tsx with the
// workspace's path aliases, then re-enters the grid worker as the app bundle does.
// A plain CJS script, since a worker thread cannot start from a .ts file.
/* eslint-disable @typescript-eslint/no-require-imports */
const { join } = require('node:path');

process.env.TSX_TSCONFIG_PATH = join(__dirname, '../../../../tsconfig.base.json');
require('tsx/cjs/api').register();
const { isGridWorker, serveGridWorker } = require('../grid.ts');

if (isGridWorker()) serveGridWorker();
