// Worker entry for the WorkerPool tests: counts to `count`, reporting progress, and
// throws when asked to. A plain CJS script, since a worker thread cannot start from a .ts file.
/* eslint-disable @typescript-eslint/no-require-imports */
require('tsx/cjs/api').register();
const { isPoolWorker, serveWorkerTasks } = require('../worker-pool.ts');

if (isPoolWorker('test-count')) {
  serveWorkerTasks('test-count', ({ count, fail }, progress) => {
    if (fail) throw new Error(fail);
    const until = Date.now() + count; // one millisecond per unit, busy: a stand-in for CPU-bound work
    for (let done = 1; done <= count; done++) {
      while (Date.now() < until - (count - done)) {
        // spin
      }
      if (done % 10 === 0 || done === count) progress(done, count);
    }
    return { counted: count };
  });
}
