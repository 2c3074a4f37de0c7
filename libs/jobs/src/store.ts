import type { Migration, Queryable, Row } from '@tradeyard/persistence';

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
export const activeStatuses: readonly JobStatus[] = ['queued', 'running'];

export interface ChunkState {
  chunk: number;
  status: 'queued' | 'running' | 'done';
  /** The worker that took it last (`host:pid`), null until one did. */
  worker: string | null;
  /** Times a worker took it: more than 1 after a worker died running it. */
  attempts: number;
  done: number;
  total: number;
}

/** A job as its owner sees it. */
export interface JobState {
  id: string;
  kind: string;
  owner: string;
  status: JobStatus;
  /** Units done of total over all chunks (a grid's runs, a backtest's bars), once known. */
  progress?: { done: number; total: number };
  chunks?: ChunkState[];
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  result?: Record<string, unknown>;
  error?: string;
}

/** Who reads or cancels: an owner sees their own jobs, an admin every job. */
export interface JobViewer {
  owner: string;
  admin: boolean;
}

/**
 * Jobs and their chunks. The queue (pg-boss) carries only { jobId, chunk }: the input, each chunk's
 * progress and output, and the merged result live here, where every replica reads them. As `json`,
 * not `jsonb`: jsonb reorders object keys, and a grid's heatmap axes are its first varied parameters.
 */
export const jobMigrations: readonly Migration[] = [
  {
    id: 'agent-jobs-001-tables',
    sql: `
CREATE TABLE IF NOT EXISTS agent_jobs (
  id text PRIMARY KEY,
  owner text NOT NULL,
  kind text NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  input json NOT NULL,
  result json,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX IF NOT EXISTS agent_jobs_owner_created ON agent_jobs (owner, created_at DESC);
CREATE INDEX IF NOT EXISTS agent_jobs_active ON agent_jobs (owner) WHERE status IN ('queued', 'running');
CREATE TABLE IF NOT EXISTS agent_job_chunks (
  job_id text NOT NULL REFERENCES agent_jobs (id) ON DELETE CASCADE,
  chunk integer NOT NULL,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done')),
  worker text,
  attempts integer NOT NULL DEFAULT 0,
  done integer NOT NULL DEFAULT 0,
  total integer NOT NULL DEFAULT 0,
  output json,
  PRIMARY KEY (job_id, chunk)
);
`,
  },
];

const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : value ? new Date(String(value)).toISOString() : undefined);

function jobState(row: Row, chunks?: ChunkState[]): JobState {
  const progress = chunks && chunks.reduce((sum, c) => ({ done: sum.done + c.done, total: sum.total + c.total }), { done: 0, total: 0 });
  const optional = {
    progress: progress && progress.total > 0 ? progress : undefined,
    chunks,
    startedAt: iso(row['started_at']),
    finishedAt: iso(row['finished_at']),
    result: row['result'] ?? undefined,
    error: (row['error'] as string | null) ?? undefined,
  };
  return {
    id: row['id'] as string,
    kind: row['kind'] as string,
    owner: row['owner'] as string,
    status: row['status'] as JobStatus,
    createdAt: iso(row['created_at'])!,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

const chunkState = (row: Row): ChunkState => ({
  chunk: Number(row['chunk']),
  status: row['status'] as ChunkState['status'],
  worker: (row['worker'] as string | null) ?? null,
  attempts: Number(row['attempts']),
  done: Number(row['done']),
  total: Number(row['total']),
});

/**
 * The SQL of jobs, over any Queryable (the database, or one transaction of it). JSON goes in as text
 * (`$n::text::json`) on both drivers: pg would turn an array into a PostgreSQL array.
 */
export const jobSql = {
  async countActive(db: Queryable, owner?: string): Promise<number> {
    const rows = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM agent_jobs WHERE status IN ('queued', 'running')${owner === undefined ? '' : ' AND owner = $1'}`,
      owner === undefined ? [] : [owner],
    );
    return rows[0].n;
  },

  async insert(db: Queryable, job: { id: string; owner: string; kind: string; input: string; plan: number[] }): Promise<void> {
    await db.query(`INSERT INTO agent_jobs (id, owner, kind, status, input) VALUES ($1, $2, $3, 'queued', $4::text::json)`, [job.id, job.owner, job.kind, job.input]);
    await db.query(`INSERT INTO agent_job_chunks (job_id, chunk, total) SELECT $1, c - 1, ($2::int[])[c] FROM generate_series(1, cardinality($2::int[])) AS c`, [job.id, job.plan]);
  },

  /** Keeps an owner's newest `keep` finished jobs; older ones go, chunks with them. */
  async pruneFinished(db: Queryable, owner: string, keep: number): Promise<void> {
    await db.query(
      `DELETE FROM agent_jobs WHERE id IN (
         SELECT id FROM agent_jobs WHERE owner = $1 AND status NOT IN ('queued', 'running') ORDER BY created_at DESC OFFSET $2)`,
      [owner, keep],
    );
  },

  async get(db: Queryable, id: string, viewer: JobViewer): Promise<JobState | undefined> {
    const [row] = await db.query(`SELECT * FROM agent_jobs WHERE id = $1 AND ($2::text IS NULL OR owner = $2)`, [id, viewer.admin ? null : viewer.owner]);
    if (!row) return undefined;
    const chunks = await db.query(`SELECT chunk, status, worker, attempts, done, total FROM agent_job_chunks WHERE job_id = $1 ORDER BY chunk`, [id]);
    return jobState(row, chunks.map(chunkState));
  },

  /** The newest jobs a viewer may see, without their inputs and results. */
  async list(db: Queryable, viewer: JobViewer, limit: number): Promise<JobState[]> {
    const rows = await db.query(
      `SELECT id, owner, kind, status, error, created_at, started_at, finished_at FROM agent_jobs
        WHERE ($1::text IS NULL OR owner = $1) ORDER BY created_at DESC LIMIT $2`,
      [viewer.admin ? null : viewer.owner, limit],
    );
    return rows.map((row) => jobState(row));
  },

  /** Cancels a queued or running job the viewer may touch; false when it was not one. */
  async cancel(db: Queryable, id: string, viewer: JobViewer): Promise<boolean> {
    const rows = await db.query(
      `UPDATE agent_jobs SET status = 'cancelled', finished_at = now() WHERE id = $1 AND ($2::text IS NULL OR owner = $2) AND status IN ('queued', 'running') RETURNING id`,
      [id, viewer.admin ? null : viewer.owner],
    );
    return rows.length > 0;
  },

  /**
   * A worker takes a chunk: its kind and input, or undefined when the job is no longer queued or
   * running, or the chunk is already done (a second delivery of the same chunk).
   */
  async takeChunk(db: Queryable, jobId: string, chunk: number, worker: string): Promise<{ kind: string; input: unknown } | undefined> {
    const [row] = await db.query<{ kind: string; input: unknown }>(
      `UPDATE agent_job_chunks c SET status = 'running', worker = $3, attempts = c.attempts + 1, done = 0
         FROM agent_jobs j
        WHERE c.job_id = $1 AND c.chunk = $2 AND c.status <> 'done' AND j.id = c.job_id AND j.status IN ('queued', 'running')
        RETURNING j.kind, j.input`,
      [jobId, chunk, worker],
    );
    if (row) await db.query(`UPDATE agent_jobs SET status = 'running', started_at = now() WHERE id = $1 AND status = 'queued'`, [jobId]);
    return row;
  },

  /** Records a chunk's progress; answers the job's status (a worker stops its chunk unless it is running). */
  async progress(db: Queryable, jobId: string, chunk: number, done: number, total: number): Promise<JobStatus | undefined> {
    const [row] = await db.query<{ status: JobStatus }>(
      `UPDATE agent_job_chunks c SET done = $3, total = $4 FROM agent_jobs j WHERE c.job_id = $1 AND c.chunk = $2 AND j.id = c.job_id RETURNING j.status`,
      [jobId, chunk, done, total],
    );
    return row?.status;
  },

  /**
   * Stores a chunk's output once (a repeated delivery finds it done and changes nothing), all of
   * its units done: `total` as it last reported it, else as planned.
   */
  async finishChunk(db: Queryable, jobId: string, chunk: number, output: string, total: number | undefined): Promise<void> {
    await db.query(
      `UPDATE agent_job_chunks SET status = 'done', output = $3::text::json, total = coalesce($4::int, total), done = coalesce($4::int, total)
        WHERE job_id = $1 AND chunk = $2 AND status <> 'done'`,
      [jobId, chunk, output, total ?? null],
    );
  },

  /** Every chunk's output in order when all are done and the job still runs; else undefined. */
  async outputsIfComplete(db: Queryable, jobId: string): Promise<{ kind: string; input: unknown; outputs: unknown[] } | undefined> {
    const [job] = await db.query<{ kind: string; input: unknown; open: number }>(
      `SELECT kind, input, (SELECT count(*)::int FROM agent_job_chunks WHERE job_id = $1 AND status <> 'done') AS open FROM agent_jobs WHERE id = $1 AND status = 'running'`,
      [jobId],
    );
    if (!job || job.open > 0) return undefined;
    const rows = await db.query<{ output: unknown }>(`SELECT output FROM agent_job_chunks WHERE job_id = $1 ORDER BY chunk`, [jobId]);
    return { kind: job.kind, input: job.input, outputs: rows.map((r) => r.output) };
  },

  /** The job's result, once: only a running job completes, and its chunks' outputs are dropped (the result holds them). */
  async complete(db: Queryable, jobId: string, result: string): Promise<void> {
    const done = await db.query(`UPDATE agent_jobs SET status = 'done', result = $2::text::json, finished_at = now() WHERE id = $1 AND status = 'running' RETURNING id`, [jobId, result]);
    if (done.length > 0) await db.query(`UPDATE agent_job_chunks SET output = NULL WHERE job_id = $1`, [jobId]);
  },

  async fail(db: Queryable, jobId: string, error: string): Promise<void> {
    await db.query(`UPDATE agent_jobs SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status IN ('queued', 'running')`, [jobId, error]);
  },
};
