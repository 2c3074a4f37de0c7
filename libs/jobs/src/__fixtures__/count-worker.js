// Chunk worker thread for the queue's tests: runs the count kind. A plain CJS script, since a
// worker thread cannot start from a .ts file.
/* eslint-disable @typescript-eslint/no-require-imports */
const { join } = require('node:path');

process.env.TSX_TSCONFIG_PATH = join(__dirname, '../../../../tsconfig.base.json');
require('tsx/cjs/api').register();
const { isJobChunkWorker, serveJobChunks } = require('../kinds.ts');
const { countKind } = require('./count-kind.ts');

if (isJobChunkWorker()) serveJobChunks({ count: countKind });
