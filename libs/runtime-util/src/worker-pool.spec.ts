import { join } from 'node:path';
import { WorkerPool, WorkerTaskError } from './worker-pool';

type Input = { count: number; fail?: string };
const pool = (timeoutMs = 5000, workers = 1, workerFile = join(__dirname, '__fixtures__/count-worker.js')) =>
  new WorkerPool<Input, { counted: number }>({
    kind: 'test-count',
    names: { pool: 'test pool', task: 'job', waiting: 'jobs' },
    workerFile,
    workers,
    timeoutMs,
    maxQueue: 2,
    maxWaitMs: 60_000,
  });
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (err: WorkerTaskError) => ({ reason: err.reason, message: err.message }));

describe('WorkerPool', () => {
  it('runs tasks off the thread with progress, and fails a task with its own error', async () => {
    const workers = pool();
    try {
      const progress: number[] = [];
      const started: string[] = [];
      const counted = workers.run({ count: 50 }, { onStart: () => started.push('first'), onProgress: (done) => progress.push(done) });
      const failed = failure(workers.run({ count: 0, fail: 'bad input' }));
      expect(await counted).toEqual({ counted: 50 });
      expect(progress).toEqual([10, 20, 30, 40, 50]);
      expect(started).toEqual(['first']);
      expect(await failed).toEqual({ reason: 'task', message: 'bad input' });
    } finally {
      await workers.close();
    }
  }, 60_000);

  it('starts no worker before a task needs one, then as many as tasks wait, up to its size', async () => {
    const workers = pool(5000, 2);
    try {
      expect(workers.workersRunning).toBe(0);
      expect(await workers.run({ count: 10 })).toEqual({ counted: 10 });
      expect(workers.workersRunning).toBe(1);
      const three = [workers.run({ count: 10 }), workers.run({ count: 10 }), workers.run({ count: 10 })];
      expect(workers.workersRunning).toBe(2);
      expect(await Promise.all(three)).toEqual([{ counted: 10 }, { counted: 10 }, { counted: 10 }]);
      expect(workers.workersRunning).toBe(2);
    } finally {
      await workers.close();
    }
  }, 60_000);

  it('fails what waits when a worker cannot start, and tries a fresh worker for the next task', async () => {
    const workers = pool(5000, 1, join(__dirname, '__fixtures__/no-such-worker.js'));
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const failed = await failure(workers.run({ count: 10 }));
        expect(failed).toMatchObject({ reason: 'worker' });
        expect(failed?.message).toMatch(/^test pool worker failed to start: /);
      }
      expect(workers.workersRunning).toBe(0);
    } finally {
      await workers.close();
    }
  }, 60_000);

  it('fails a task at its deadline and serves the next on a fresh worker', async () => {
    const workers = pool(300);
    try {
      const slow = failure(workers.run({ count: 5000 }));
      const next = workers.run({ count: 10 });
      expect(await slow).toEqual({ reason: 'time', message: 'time limit: the job ran longer than 300 ms' });
      expect(await next).toEqual({ counted: 10 });
    } finally {
      await workers.close();
    }
  }, 60_000);

  it('cancels a running task (its worker is replaced) and a waiting one (off the queue) when their signal aborts', async () => {
    const workers = pool();
    try {
      const running = new AbortController();
      const waiting = new AbortController();
      const first = failure(workers.run({ count: 60_000 }, { signal: running.signal, onProgress: () => running.abort() }));
      const second = failure(workers.run({ count: 10 }, { signal: waiting.signal }));
      waiting.abort();
      expect(await second).toEqual({ reason: 'cancelled', message: 'the job was cancelled' });
      expect(await first).toEqual({ reason: 'cancelled', message: 'the job was cancelled' });
      // The worker that ran the cancelled task was replaced: the next task runs.
      expect(await workers.run({ count: 10 })).toEqual({ counted: 10 });
      const aborted = AbortSignal.abort();
      expect(await failure(workers.run({ count: 10 }, { signal: aborted }))).toEqual({ reason: 'cancelled', message: 'the job was cancelled' });
    } finally {
      await workers.close();
    }
  }, 60_000);
});
