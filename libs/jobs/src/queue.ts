import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type Database, migrate, openDatabase, type Queryable } from '@tradeyard/persistence';
import { backoffDelay, DependencyUnavailableError, type WorkerPool, WorkerTaskError } from '@tradeyard/runtime-util';
import { type Db, fromPglite, type Job, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { JobsConfig } from './config';
import { type ChunkTask, createChunkPool, type JobKinds } from './kinds';
import { jobMigrations, jobSql, type JobState, type JobViewer } from './store';

/*
 * Why pg-boss rather than BullMQ: the platform's durable store is PostgreSQL (and PGlite, the same
 * SQL, under `npm start`, which has no Redis); a job is accepted in the same transaction that stores
 * it, so an acknowledged job is never lost; workers claim chunks with SELECT … FOR UPDATE SKIP LOCKED,
 * so each is taken by one worker at a time (exactly-once-ish: a chunk whose worker dies runs again,
 * which is why chunks are idempotent); heartbeats, expiry, retries and a dead-letter queue are built in.
 */

/** The pg-boss queue of chunks to run: a message is only { jobId, chunk }; the rest is in agent_jobs. */
const CHUNK_QUEUE = 'agent-job-chunks';
/**
 * Chunks of the kinds that run on the event loop (arena runs): a queue of their own, so that one
 * running for an hour holds none of the AGENT_WORKERS thread slots that grid chunks wait for.
 */
const LOOP_QUEUE = 'agent-job-runs';
/** Event-loop chunks one process runs at once: they wait on I/O, not on a core. */
export const LOOP_SLOTS = 4;
/** Why a chunk running here was stopped when the service shut down (it goes back to the queue). */
const SHUTTING_DOWN = 'the worker is shutting down';
/** Chunks whose retries ran out land here, and fail their job. */
const GAVE_UP_QUEUE = 'agent-job-chunks-gave-up';
/** Progress is written (and cancellation read) at most this often per chunk. */
const PROGRESS_INTERVAL_MS = 200;
/** Finished jobs kept per principal; older ones go when they submit the next. */
const KEEP_FINISHED_PER_OWNER = 50;
/** Chunks one job may split into. */
export const MAX_CHUNKS = 64;

interface ChunkRef {
  jobId: string;
  chunk: number;
}

/** Refused at submission: `limit` jobs are queued or running (the principal's, or everyone's). */
export class JobQuotaError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** Refused at submission: the input is larger than a job may store. */
export class JobInputTooLargeError extends Error {}

/** Refused at cancellation: the job already finished. */
export class JobNotCancellableError extends Error {}

/** pg-boss statements on one of our transactions (a job and its chunks' messages commit together). */
const onTransaction = (tx: Queryable): Db => ({ executeSql: async (text, values) => ({ rows: await tx.query(text, values ?? []) }) });

const MiB = 1024 * 1024;

interface Opened {
  db: Database;
  boss: PgBoss;
}

export interface JobServiceOptions {
  /** PGlite in memory instead of DATA_DIR/jobs when DATABASE_URL is unset (tests). */
  inMemory?: boolean;
  /** Run chunks here, AGENT_WORKERS at once, on worker threads started from this script; unset: accept and serve jobs only. */
  workerFile?: string;
}

/** How long a request waits for the job database to open before it is answered 503. */
const OPEN_WAIT_MS = 15_000;

/**
 * Durable jobs: submitted by any replica, run in chunks by any worker process on the same database,
 * read (progress, result) and cancelled from any replica. Owned: a principal sees and cancels only
 * their own jobs, an admin every job. The database opens in the background, again after a failure
 * (with backoff), so a service whose database is down starts, says so on /ready and answers 503.
 */
export class JobService {
  private opened?: Opened;
  private readonly opening: Promise<void>;
  /** Settles after the first attempt to open, whether it opened or not. */
  private readonly firstAttempt: Promise<void>;
  private firstAttemptDone = () => {};
  private pool?: WorkerPool<ChunkTask, unknown>;
  /** This process takes chunks (AGENT_WORKERS > 0). */
  private working = false;
  /** The event-loop chunks running here: stopped when the service closes, to go back to the queue. */
  private readonly runningHere = new Set<AbortController>();
  private closed = false;
  /** This worker process, as chunks record it. */
  readonly workerId = `${hostname()}:${process.pid}`;

  constructor(
    private readonly config: JobsConfig,
    private readonly kinds: JobKinds,
    private readonly log: Logger,
    private readonly options: JobServiceOptions = {},
  ) {
    this.firstAttempt = new Promise((resolve) => (this.firstAttemptDone = resolve));
    // The first attempt also ends when the loop does: opened, or closed before it tried.
    this.opening = this.openUntilDone().finally(() => this.firstAttemptDone());
  }

  /** Resolves once the first attempt to open the database has ended, opened or not (it retries on its own). */
  whenFirstAttempted(): Promise<void> {
    return this.firstAttempt;
  }

  /** Resolves once the database and queue are open (and the workers started), or the service closed. */
  whenOpen(): Promise<void> {
    return this.opening;
  }

  /** The database answers (a readiness check). */
  async ping(): Promise<void> {
    if (!this.opened) throw new Error('the job queue has not opened its database yet');
    await this.opened.db.query('SELECT 1');
  }

  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.config.JOBS_CHUNK_TIMEOUT_SECONDS / 4));
  }

  /** Stores the job and queues its chunks in one transaction; refuses past the quotas and size bound. */
  async submit(owner: string, kind: string, input: unknown): Promise<JobState> {
    const text = JSON.stringify(input);
    const maxBytes = this.config.JOBS_MAX_INPUT_MB * MiB;
    if (Buffer.byteLength(text) > maxBytes) throw new JobInputTooLargeError(`the job's input is ${Buffer.byteLength(text)} bytes; at most ${maxBytes} (JOBS_MAX_INPUT_MB)`);
    const plan = this.kindOf(kind).plan(input);
    if (plan.length < 1 || plan.length > MAX_CHUNKS) throw new Error(`a ${kind} job planned ${plan.length} chunks; 1 to ${MAX_CHUNKS} are allowed`);
    const id = randomUUID();
    const { db, boss } = await this.open();
    await db.transaction(async (tx) => {
      // One submission of a principal at a time, so two at once cannot both pass the quota.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`agent-jobs:${owner}`]);
      const mine = await jobSql.countActive(tx, owner);
      const perUser = this.config.JOBS_MAX_ACTIVE_PER_USER;
      if (mine >= perUser) throw new JobQuotaError(`${mine} of your jobs are queued or running; at most ${perUser} may be at once (JOBS_MAX_ACTIVE_PER_USER): retry when one finishes`, this.retryAfterSeconds);
      const all = await jobSql.countActive(tx);
      if (all >= this.config.JOBS_MAX_ACTIVE) throw new JobQuotaError(`${all} jobs are queued or running; at most ${this.config.JOBS_MAX_ACTIVE} may be at once (JOBS_MAX_ACTIVE): retry later`, this.retryAfterSeconds);
      await jobSql.pruneFinished(tx, owner, KEEP_FINISHED_PER_OWNER);
      await jobSql.insert(tx, { id, owner, kind, input: text, plan });
      // A chunk run on the event loop may run for long: the queue expires it only past its own bound.
      const jobKind = this.kindOf(kind);
      // An event-loop chunk may run for long: the queue expires it only past its own bound.
      const [queue, expiry] = jobKind.runHere ? [LOOP_QUEUE, { expireInSeconds: jobKind.timeoutSeconds + 2 * this.config.JOBS_HEARTBEAT_SECONDS }] : [CHUNK_QUEUE, {}];
      await boss.insert(queue, plan.map((_, chunk) => ({ data: { jobId: id, chunk } satisfies ChunkRef, ...expiry })), { db: onTransaction(tx) });
    });
    return (await this.get(id, { owner, admin: false }))!;
  }

  async get(id: string, viewer: JobViewer): Promise<JobState | undefined> {
    return jobSql.get((await this.open()).db, id, viewer);
  }

  async list(viewer: JobViewer, limit: number): Promise<JobState[]> {
    return jobSql.list((await this.open()).db, viewer, limit);
  }

  /** Cancels the job: its waiting chunks are skipped, a running one stops at its next progress tick. */
  async cancel(id: string, viewer: JobViewer): Promise<JobState | undefined> {
    if (!(await jobSql.cancel((await this.open()).db, id, viewer))) {
      const job = await this.get(id, viewer);
      if (job) throw new JobNotCancellableError(`job ${id} is ${job.status}; only a queued or running job can be cancelled`);
      return undefined;
    }
    return this.get(id, viewer);
  }

  /**
   * Stops taking chunks; the ones running here stop and go back to the queue at once (another
   * worker, or this one after a restart, takes them), then pg-boss and the database close.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { opened } = this;
    if (opened && this.working) for (const queue of [CHUNK_QUEUE, LOOP_QUEUE]) await opened.boss.offWork(queue, { wait: false }).catch(() => undefined);
    for (const running of this.runningHere) running.abort(SHUTTING_DOWN);
    await this.pool?.close();
    if (opened) await closeJobStore(opened, this.log);
  }

  private async openUntilDone(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        const opened = await openJobStore(this.config, this.log, this.options.inMemory);
        if (this.closed) return closeJobStore(opened, this.log);
        this.opened = opened;
        if (this.options.workerFile) await this.startWorkers(opened.boss, this.options.workerFile);
        return;
      } catch (err) {
        this.firstAttemptDone();
        const retryMs = backoffDelay(attempt, 1000, 30_000);
        this.log.warn({ err: err instanceof Error ? err.message : String(err), retryMs }, 'the job queue cannot open its database yet; retrying');
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    }
  }

  /** The database and queue once open: a request waits for them a while, then is answered 503. */
  private async open(): Promise<Opened> {
    if (!this.opened) await Promise.race([this.opening, new Promise((resolve) => setTimeout(resolve, OPEN_WAIT_MS).unref())]);
    if (this.opened && !this.closed) return this.opened;
    throw new DependencyUnavailableError('jobs database', this.closed ? 'the job queue is shut down' : 'the job queue has not opened its database yet');
  }

  /** The database, for the workers: they run only once it is open. */
  private get db(): Database {
    return this.opened!.db;
  }

  /**
   * Takes chunks from the queues: AGENT_WORKERS at once on worker threads started from
   * `workerFile`, and LOOP_SLOTS of the event-loop kinds' at once here.
   */
  private async startWorkers(boss: PgBoss, workerFile: string): Promise<void> {
    const workers = this.config.AGENT_WORKERS;
    if (workers === 0) return;
    this.working = true;
    this.pool ??= createChunkPool({ workerFile, workers, timeoutMs: this.config.JOBS_CHUNK_TIMEOUT_SECONDS * 1000 });
    await this.takeChunks(boss, CHUNK_QUEUE, workers);
    if (Object.values(this.kinds).some((kind) => kind.runHere)) await this.takeChunks(boss, LOOP_QUEUE, LOOP_SLOTS);
    await boss.work<ChunkRef>(GAVE_UP_QUEUE, { pollingIntervalSeconds: 5 }, async ([job]) => this.gaveUp(job.data));
    this.log.info({ workers, worker: this.workerId }, 'job workers started');
  }

  /**
   * One pg-boss worker per slot, each told to fetch again as soon as its chunk ends: left alone,
   * pg-boss waits out its polling interval (30 s while NOTIFY is active) after every chunk shorter
   * than that, with more chunks ready. It waits only after a fetch that found nothing.
   */
  private async takeChunks(boss: PgBoss, queue: string, slots: number): Promise<void> {
    for (let slot = 0; slot < slots; slot++) {
      let slotId = '';
      slotId = await boss.work<ChunkRef>(queue, { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
        try {
          await this.runChunk(job);
        } finally {
          boss.notifyWorker(slotId);
        }
      });
    }
  }

  private kindOf(kind: string) {
    const found = this.kinds[kind];
    if (!found) throw new Error(`no job kind ${kind}`);
    return found;
  }

  /** Runs one chunk; throws only when another attempt may succeed (pg-boss then retries it). */
  private async runChunk(message: Job<ChunkRef>): Promise<void> {
    const { jobId, chunk } = message.data;
    const taken = await jobSql.takeChunk(this.db, jobId, chunk, this.workerId);
    // Not runnable: the job was cancelled or failed, or an earlier delivery finished this chunk
    // (and perhaps died before merging: completing is idempotent, so try again).
    if (!taken) return this.completeIfDone(jobId);
    const stop = new AbortController();
    this.runningHere.add(stop);
    const lost = () => stop.abort();
    message.signal.addEventListener('abort', lost, { once: true });
    let latest: { done: number; total: number } | undefined;
    // Written at most every PROGRESS_INTERVAL_MS, one write at a time; each write answers the job's
    // status, so a cancelled (or failed) job stops its running chunks at their next progress tick.
    let lastWrite = 0;
    let writing = false;
    const onProgress = (done: number, total: number) => {
      latest = { done, total };
      if (writing || Date.now() - lastWrite < PROGRESS_INTERVAL_MS) return;
      writing = true;
      lastWrite = Date.now();
      jobSql
        .progress(this.db, jobId, chunk, done, total)
        .then((status) => status !== 'running' && stop.abort())
        .catch((err: Error) => this.log.warn({ job: jobId, chunk, err: err.message }, 'could not record progress'))
        .finally(() => (writing = false));
    };
    let output: string;
    try {
      output = JSON.stringify(await this.runOne(jobId, taken, chunk, onProgress, stop.signal));
    } catch (err) {
      // Stopped as this service shuts down: rethrown, so that pg-boss hands the chunk to another worker.
      if (stop.signal.reason === SHUTTING_DOWN) throw err;
      // Cancelled: the job stopped running, or pg-boss took the chunk away; nothing more to do here.
      if (stop.signal.aborted) return;
      if (!(err instanceof WorkerTaskError)) {
        if (!this.kindOf(taken.kind).runHere) throw err;
        return jobSql.fail(this.db, jobId, err instanceof Error ? err.message : String(err));
      }
      if (['worker', 'closed', 'busy'].includes(err.reason)) throw err;
      if (err.reason !== 'cancelled') await jobSql.fail(this.db, jobId, err.message);
      return;
    } finally {
      message.signal.removeEventListener('abort', lost);
      this.runningHere.delete(stop);
    }
    // Stopped as this service shuts down: thrown, so that pg-boss hands the chunk to another worker.
    if (stop.signal.reason === SHUTTING_DOWN) throw new Error(`chunk ${chunk} of job ${jobId} was stopped as its worker shut down`);
    // Stopped (cancelled, or handed to another worker) yet it answered: its output is not the job's.
    if (stop.signal.aborted) return;
    if (this.tooLarge(output)) return jobSql.fail(this.db, jobId, this.tooLargeMessage(output, `chunk ${chunk}`));
    await jobSql.finishChunk(this.db, jobId, chunk, output, latest?.total);
    await this.completeIfDone(jobId);
  }

  /** Runs a chunk where its kind runs: on this event loop (bounded by its timeout), or on a worker thread. */
  private async runOne(jobId: string, taken: { kind: string; input: unknown }, chunk: number, onProgress: (done: number, total: number) => void, stop: AbortSignal): Promise<unknown> {
    const kind = this.kindOf(taken.kind);
    if (!kind.runHere) return this.pool!.run({ kind: taken.kind, input: taken.input, chunk }, { onProgress, signal: stop });
    const deadline = AbortSignal.timeout(kind.timeoutSeconds * 1000);
    const signal = AbortSignal.any([stop, deadline]);
    const output = await kind.runHere(taken.input, chunk, onProgress, { jobId, signal });
    if (deadline.aborted) throw new Error(`chunk ${chunk} ran past its ${kind.timeoutSeconds} s and was stopped`);
    return output;
  }

  /** Merges the chunks' outputs into the job's result once all are done (whichever worker gets here first). */
  private async completeIfDone(jobId: string): Promise<void> {
    const complete = await jobSql.outputsIfComplete(this.db, jobId);
    if (!complete) return;
    let result: string;
    try {
      result = JSON.stringify(this.kindOf(complete.kind).merge(complete.input, complete.outputs));
    } catch (err) {
      return jobSql.fail(this.db, jobId, `merging its chunks failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (this.tooLarge(result)) return jobSql.fail(this.db, jobId, this.tooLargeMessage(result, 'the result'));
    await jobSql.complete(this.db, jobId, result);
  }

  private async gaveUp({ jobId, chunk }: ChunkRef): Promise<void> {
    const tries = this.config.JOBS_CHUNK_RETRIES + 1;
    await jobSql.fail(this.db, jobId, `chunk ${chunk} was started ${tries} time(s) and its worker stopped each time before finishing it (JOBS_CHUNK_RETRIES=${this.config.JOBS_CHUNK_RETRIES})`);
  }

  private tooLarge = (text: string) => Buffer.byteLength(text) > this.config.JOBS_MAX_RESULT_MB * MiB;
  private tooLargeMessage = (text: string, what: string) =>
    `${what} is ${Buffer.byteLength(text)} bytes; a job may store at most ${this.config.JOBS_MAX_RESULT_MB * MiB} (JOBS_MAX_RESULT_MB)`;
}

/** The job tables and pg-boss on DATABASE_URL, or on PGlite in DATA_DIR/jobs (`inMemory`: no folder). */
async function openJobStore(config: JobsConfig, log: Logger, inMemory = false): Promise<Opened> {
  const db = await openDatabase({ url: config.DATABASE_URL, dataDir: inMemory ? undefined : join(config.DATA_DIR, 'jobs'), log });
  try {
    await migrate(db, jobMigrations);
    return { db, boss: await startBoss(db, config, log) };
  } catch (err) {
    await db.close();
    throw err;
  }
}

async function closeJobStore({ db, boss }: Opened, log: Logger): Promise<void> {
  await boss.stop({ graceful: true, timeout: 10_000 }).catch((err: Error) => log.warn({ err: err.message }, 'pg-boss did not stop cleanly'));
  await db.close();
}

/** pg-boss on the same database: its own pool on PostgreSQL, the one PGlite instance otherwise. */
async function startBoss(db: Database, config: JobsConfig, log: Logger): Promise<PgBoss> {
  const heartbeatSeconds = config.JOBS_HEARTBEAT_SECONDS;
  // Supervision fails a chunk whose heartbeat stopped (its worker died): checking at half the
  // heartbeat hands it to another worker within 1.5 heartbeats.
  const supervision = { superviseIntervalSeconds: Math.max(1, Math.floor(heartbeatSeconds / 2)), monitorIntervalSeconds: Math.max(1, Math.floor(heartbeatSeconds / 2)) };
  const boss = db.pglite
    ? new PgBoss({ db: fromPglite(db.pglite), backend: 'pglite', ...supervision })
    : new PgBoss({ connectionString: config.DATABASE_URL, max: 4, connectionTimeoutMillis: 3000, application_name: 'tradeyard-jobs', ...supervision });
  // Without a listener an 'error' event would end the process; pg-boss retries its own loops.
  boss.on('error', (err) => log.warn({ err: err.message }, 'job queue (pg-boss) error'));
  await boss.start();
  const retention = { deleteAfterSeconds: 24 * 3600 };
  await boss.createQueue(GAVE_UP_QUEUE, retention);
  const chunks = {
    ...retention,
    retryLimit: config.JOBS_CHUNK_RETRIES,
    retryDelay: 0,
    heartbeatSeconds,
    // A chunk ends at its own deadline on its worker thread; this is the backstop past it.
    expireInSeconds: config.JOBS_CHUNK_TIMEOUT_SECONDS + 2 * heartbeatSeconds,
    deadLetter: GAVE_UP_QUEUE,
  };
  // createQueue keeps an existing queue as it was: updateQueue applies the current settings.
  for (const queue of [CHUNK_QUEUE, LOOP_QUEUE]) {
    await boss.createQueue(queue, { ...chunks, notify: true });
    await boss.updateQueue(queue, chunks);
  }
  return boss;
}
