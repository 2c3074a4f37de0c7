import { join } from 'node:path';
import pino from 'pino';
import { countKind, type CountInput } from './__fixtures__/count-kind';
import { onPostgres } from '@tradeyard/persistence';
import { jobsConfigSchema, type JobsConfig } from './config';
import type { JobKind } from './kinds';
import { JobInputTooLargeError, JobNotCancellableError, JobQuotaError, JobService } from './queue';
import type { JobState, JobStatus } from './store';

const workerFile = join(__dirname, '__fixtures__/count-worker.js');
const log = pino({ level: 'silent' });
const alice = { owner: 'user:alice', admin: false };
const bob = { owner: 'user:bob', admin: false };
const admin = { owner: 'user:admin', admin: true };

async function open(env: Record<string, string> = {}): Promise<JobService> {
  const config: JobsConfig = jobsConfigSchema.parse({ AGENT_WORKERS: '2', JOBS_HEARTBEAT_SECONDS: '10', ...env });
  const jobs = new JobService(config, { count: countKind }, log, { inMemory: true, workerFile });
  await jobs.whenOpen();
  return jobs;
}

/** Polls the job until `until` holds of it (its status, its progress), and returns it. */
async function waitFor(jobs: JobService, id: string, until: (job: JobState) => boolean, what: string): Promise<JobState> {
  for (const started = Date.now(); Date.now() - started < 60_000; await new Promise((r) => setTimeout(r, 20))) {
    const job = await jobs.get(id, admin);
    if (job && until(job)) return job;
  }
  throw new Error(`job ${id} never ${what}`);
}
const reaches = (jobs: JobService, id: string, ...statuses: JobStatus[]) => waitFor(jobs, id, (job) => statuses.includes(job.status), `reached ${statuses.join('/')}`);

describe('durable jobs on PGlite in-process (npm start)', () => {
  let jobs: JobService;
  beforeAll(async () => {
    jobs = await open({ JOBS_MAX_ACTIVE_PER_USER: '2', JOBS_MAX_INPUT_MB: '1', JOBS_MAX_RESULT_MB: '1' });
  });
  afterAll(() => jobs.close());

  it('runs a job in chunks on the workers, with progress, and merges their outputs in chunk order', async () => {
    const input: CountInput = { units: [300, 20, 150] };
    const accepted = await jobs.submit(alice.owner, 'count', input);
    expect(accepted).toMatchObject({ kind: 'count', owner: 'user:alice', status: 'queued', progress: { done: 0, total: 470 } });
    const running = await waitFor(jobs, accepted.id, (job) => (job.progress?.done ?? 0) > 0 && job.status === 'running', 'made progress');
    expect(running.progress!.done).toBeLessThan(470);
    const done = await reaches(jobs, accepted.id, 'done', 'failed');
    expect(done).toMatchObject({
      status: 'done',
      progress: { done: 470, total: 470 },
      result: { counted: 470, chunks: [{ chunk: 0, counted: 300 }, { chunk: 1, counted: 20 }, { chunk: 2, counted: 150 }] },
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
    });
    expect(done.chunks).toEqual([0, 1, 2].map((chunk) => ({ chunk, status: 'done', worker: jobs.workerId, attempts: 1, done: input.units[chunk], total: input.units[chunk] })));
  });

  it('keeps the input as it was given: the order of its keys too', async () => {
    const { id } = await jobs.submit(alice.owner, 'count', { units: [1], order: { entryPeriod: 1, exitPeriod: 2, zeta: 3, alpha: 4 } });
    expect(await reaches(jobs, id, 'done', 'failed')).toMatchObject({ status: 'done', result: { order: ['entryPeriod', 'exitPeriod', 'zeta', 'alpha'] } });
  });

  it('refuses an input past JOBS_MAX_INPUT_MB, and fails a job whose chunk output is past JOBS_MAX_RESULT_MB', async () => {
    const big = { units: [1], order: { big: 'y'.repeat(1024 * 1024) } as unknown as Record<string, number> };
    await expect(jobs.submit(alice.owner, 'count', big)).rejects.toThrow(
      new JobInputTooLargeError(`the job's input is ${JSON.stringify(big).length} bytes; at most 1048576 (JOBS_MAX_INPUT_MB)`),
    );
    const { id } = await jobs.submit(alice.owner, 'count', { units: [1], pad: 1024 * 1024 });
    const output = JSON.stringify({ chunk: 0, counted: 1, pad: 'x'.repeat(1024 * 1024) });
    expect(await reaches(jobs, id, 'done', 'failed')).toMatchObject({ status: 'failed', error: `chunk 0 is ${output.length} bytes; a job may store at most 1048576 (JOBS_MAX_RESULT_MB)` });
  });

  it('fails the job with its chunk’s error', async () => {
    const { id } = await jobs.submit(alice.owner, 'count', { units: [10, 10], fail: 1 });
    expect(await reaches(jobs, id, 'done', 'failed')).toMatchObject({ status: 'failed', error: 'chunk 1 refuses to count' });
  });

  it('cancels a running job: its running chunk stops at the next progress tick and the rest never run', async () => {
    const { id } = await jobs.submit(alice.owner, 'count', { units: [60_000, 60_000, 60_000] });
    await waitFor(jobs, id, (job) => (job.progress?.done ?? 0) > 0, 'made progress');
    expect(await jobs.cancel(id, alice)).toMatchObject({ status: 'cancelled', finishedAt: expect.any(String) });
    // Both workers are free again once the cancelled chunks stopped: a new job runs to its end.
    const next = await jobs.submit(alice.owner, 'count', { units: [10, 10] });
    expect(await reaches(jobs, next.id, 'done', 'failed')).toMatchObject({ status: 'done' });
    const cancelled = await jobs.get(id, alice);
    expect(cancelled).toMatchObject({ status: 'cancelled' });
    expect(cancelled!.chunks!.every((c) => c.status !== 'done' && c.done < c.total)).toBe(true);
    expect(cancelled!.chunks![2]).toMatchObject({ attempts: 0, worker: null });
    await expect(jobs.cancel(id, alice)).rejects.toThrow(new JobNotCancellableError(`job ${id} is cancelled; only a queued or running job can be cancelled`));
  });

  it('holds a principal to its quota of active jobs, and shows and cancels a job only for its owner or an admin', async () => {
    const first = await jobs.submit(alice.owner, 'count', { units: [60_000] });
    const second = await jobs.submit(alice.owner, 'count', { units: [60_000] });
    await expect(jobs.submit(alice.owner, 'count', { units: [1] })).rejects.toThrow(
      new JobQuotaError('2 of your jobs are queued or running; at most 2 may be at once (JOBS_MAX_ACTIVE_PER_USER): retry when one finishes', 30),
    );
    const bobs = await jobs.submit(bob.owner, 'count', { units: [10] });
    expect(await jobs.get(first.id, bob)).toBeUndefined();
    expect(await jobs.cancel(first.id, bob)).toBeUndefined();
    expect((await jobs.list(bob, 50)).map((j) => j.id)).toEqual([bobs.id]);
    expect((await jobs.list(admin, 50)).map((j) => j.id).slice(0, 3)).toEqual([bobs.id, second.id, first.id]);
    expect(await jobs.get(bobs.id, admin)).toMatchObject({ owner: 'user:bob' });
    expect(await jobs.cancel(first.id, admin)).toMatchObject({ status: 'cancelled' });
    expect(await jobs.cancel(second.id, alice)).toMatchObject({ status: 'cancelled' });
    // A slot is free again.
    const third = await jobs.submit(alice.owner, 'count', { units: [1] });
    expect(await reaches(jobs, third.id, 'done', 'failed')).toMatchObject({ status: 'done' });
  });
});

describe('a kind that runs on the event loop (an arena run: I/O, not CPU)', () => {
  /** How the last run of `ticking` ended: what it counted, and whether its signal stopped it. */
  let ended: { counted: number; stopped: boolean } | undefined;
  /** Counts to `to`, one unit every 10 ms, until its signal stops it; `fail` throws at that unit. */
  const ticking: JobKind<{ to: number; fail?: number }, { counted: number; jobId: string; stopped: boolean }> = {
    plan: () => [0],
    timeoutSeconds: 60,
    runHere: async ({ to, fail }, _chunk, progress, { jobId, signal }) => {
      let counted = 0;
      while (counted < to && !signal.aborted) {
        if (counted === fail) throw new Error(`unit ${fail} failed`);
        await new Promise((resolve) => setTimeout(resolve, 10));
        progress(++counted, to);
      }
      ended = { counted, stopped: signal.aborted };
      return { counted, jobId, stopped: signal.aborted };
    },
    merge: (_input, [output]) => output,
  };
  let jobs: JobService;
  beforeAll(async () => {
    const config: JobsConfig = jobsConfigSchema.parse({ AGENT_WORKERS: '2', JOBS_HEARTBEAT_SECONDS: '10' });
    jobs = new JobService(config, { ticking: ticking as JobKind }, log, { inMemory: true, workerFile });
    await jobs.whenOpen();
  });
  afterAll(() => jobs.close());

  it('runs it here, with progress and its job id, and stores its output', async () => {
    const { id } = await jobs.submit(alice.owner, 'ticking', { to: 30 });
    expect(await reaches(jobs, id, 'done', 'failed')).toMatchObject({ status: 'done', progress: { done: 30, total: 30 }, result: { counted: 30, jobId: id, stopped: false } });
  });

  it('stops it when the job is cancelled, keeping no output', async () => {
    ended = undefined;
    const { id } = await jobs.submit(alice.owner, 'ticking', { to: 100_000 });
    await waitFor(jobs, id, (job) => (job.progress?.done ?? 0) > 5, 'made progress');
    await jobs.cancel(id, alice);
    const cancelled = await reaches(jobs, id, 'cancelled');
    expect(cancelled.result).toBeUndefined();
    // Its signal stopped it at its next progress tick, short of its end.
    const endedRun = (): typeof ended => ended;
    while (!endedRun()) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(endedRun()).toMatchObject({ stopped: true });
    expect(endedRun()!.counted).toBeLessThan(100_000);
  });

  it('fails the job with what it threw', async () => {
    const { id } = await jobs.submit(alice.owner, 'ticking', { to: 30, fail: 3 });
    expect(await reaches(jobs, id, 'done', 'failed')).toMatchObject({ status: 'failed', error: 'unit 3 failed' });
  });
});

onPostgres('event-loop chunks across processes on PostgreSQL', (server) => {
  /** Counts to `to`, one unit every 20 ms, until stopped; answers what it counted. */
  const slow: JobKind<{ to: number }, { counted: number }> = {
    plan: () => [0],
    timeoutSeconds: 600,
    runHere: async ({ to }, _chunk, progress, { signal }) => {
      let counted = 0;
      while (counted < to && !signal.aborted) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        progress(++counted, to);
      }
      return { counted };
    },
    merge: (_input, [output]) => output,
  };
  const start = async () => {
    const config: JobsConfig = jobsConfigSchema.parse({ DATABASE_URL: server().url, AGENT_WORKERS: '1', JOBS_HEARTBEAT_SECONDS: '10' });
    const jobs = new JobService(config, { slow: slow as JobKind }, log, { workerFile });
    await jobs.whenOpen();
    return jobs;
  };

  it('hands a chunk running here to another worker when this one shuts down, and that one runs it to its end', async () => {
    const first = await start();
    const { id } = await first.submit(alice.owner, 'slow', { to: 150 });
    await waitFor(first, id, (job) => job.status === 'running' && (job.progress?.done ?? 0) > 10, 'ran here');
    await first.close();
    const second = await start();
    try {
      const done = await reaches(second, id, 'done', 'failed', 'cancelled');
      expect(done).toMatchObject({ status: 'done', result: { counted: 150 } });
      expect(done.chunks![0]).toMatchObject({ worker: second.workerId, attempts: 2 });
    } finally {
      await second.close();
    }
  });
});
