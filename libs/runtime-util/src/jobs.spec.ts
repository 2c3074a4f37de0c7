import { join } from 'node:path';
import { type Job, JobQueue, JobQueueFullError } from './jobs';
import { WorkerPool } from './worker-pool';

type Input = { count: number; fail?: string };
const pool = (timeoutMs = 5000) =>
  new WorkerPool<Input, { counted: number }>({
    kind: 'test-count',
    names: { pool: 'test pool', task: 'job', waiting: 'jobs' },
    workerFile: join(__dirname, '__fixtures__/count-worker.js'),
    workers: 1,
    timeoutMs,
    maxQueue: 2,
    maxWaitMs: 60_000,
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits for the job (the record submit returned, which the queue updates) to finish. */
async function settled(job: Job<'count', { counted: number }>) {
  for (let i = 0; i < 1200; i++, await sleep(25)) if (job.status === 'done' || job.status === 'failed') return job;
  throw new Error(`job ${job.id} did not finish`);
}

describe('JobQueue on a WorkerPool', () => {
  it('runs jobs off the thread with status, progress and result, keeping only the last finished', async () => {
    const queue = new JobQueue<'count', Input, { counted: number }>(pool(), { maxActive: 2, keepFinished: 1 });
    try {
      const first = queue.submit('count', { count: 50 });
      expect(first).toMatchObject({ kind: 'count', status: 'queued' });
      const second = queue.submit('count', { count: 0, fail: 'bad input' });
      expect(() => queue.submit('count', { count: 1 })).toThrow(new JobQueueFullError(2, 2));
      expect(await settled(first)).toMatchObject({ status: 'done', result: { counted: 50 }, progress: { done: 50, total: 50 }, startedAt: expect.any(String) });
      expect(await settled(second)).toMatchObject({ status: 'failed', error: 'bad input' });
      // keepFinished 1: the older result is gone, the newer one stays.
      expect(queue.get(first.id)).toBeUndefined();
      expect(queue.get(second.id)).toBeDefined();
    } finally {
      await queue.close();
    }
  }, 60_000);

  it('fails a job at its deadline and serves the next on a fresh worker', async () => {
    const queue = new JobQueue<'count', Input, { counted: number }>(pool(300), { maxActive: 2 });
    try {
      const slow = queue.submit('count', { count: 5000 });
      const next = queue.submit('count', { count: 10 });
      expect(await settled(slow)).toMatchObject({ status: 'failed', error: 'time limit: the job ran longer than 300 ms' });
      expect(await settled(next)).toMatchObject({ status: 'done', result: { counted: 10 } });
    } finally {
      await queue.close();
    }
  }, 60_000);
});
