import { z } from 'zod';

const count = (fallback: number, min: number, max: number, what: string) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(fallback)
    .describe(what);

/** The durable job queue's variables; an app that runs jobs spreads this shape into its config schema. */
export const jobsConfigShape = {
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional()
    .describe('PostgreSQL holding the job queue (pg-boss) and job results, shared by every replica and worker; unset: embedded PGlite in DATA_DIR/jobs, this process alone'),
  AGENT_WORKERS: count(1, 0, 64, 'Jobs (chunks of them) this process runs at once, each on a worker thread; 0: this replica only accepts and serves jobs, other processes run them'),
  JOBS_MAX_ACTIVE_PER_USER: count(4, 1, 1000, 'Jobs one principal may have queued or running at once; one more is refused with 429 naming this limit'),
  JOBS_MAX_ACTIVE: count(200, 1, 100_000, 'Jobs of all principals queued or running at once; one more is refused with 429'),
  JOBS_CHUNK_TIMEOUT_SECONDS: count(120, 1, 86_400, 'Wall time one chunk of a job may run on a worker thread before the job fails saying so'),
  JOBS_HEARTBEAT_SECONDS: count(30, 10, 3600, 'A worker heartbeats each chunk it runs; one silent this long (the process died) is handed to another worker'),
  JOBS_CHUNK_RETRIES: count(3, 0, 20, 'Times a chunk whose worker died (or stopped) is handed to another before the job fails'),
  JOBS_MAX_INPUT_MB: count(16, 1, 256, 'Largest job input (request body with inline bars) stored, in MiB'),
  JOBS_MAX_RESULT_MB: count(32, 1, 256, 'Largest result one job or chunk may store, in MiB; a larger one fails the job saying so'),
};
export const jobsConfigSchema = z.object({ ...jobsConfigShape, DATA_DIR: z.string().min(1).default('data') });
export type JobsConfig = z.infer<typeof jobsConfigSchema>;
