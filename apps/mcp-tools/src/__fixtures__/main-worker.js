// Calculator worker entry for the tests: loads main.ts through tsx (with the workspace's path
// aliases), which re-enters as a calculator worker exactly as the built main.js does.
// A plain CJS script, since a worker thread cannot start from a .ts file.
/* eslint-disable @typescript-eslint/no-require-imports */
const { join } = require('node:path');

process.env.TSX_TSCONFIG_PATH = join(__dirname, '../../../../tsconfig.base.json');
require('tsx/cjs/api').register();
require('../main.ts');
