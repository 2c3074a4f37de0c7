import { arenaBoardSchema, arenaRunSummarySchema, type ArenaBoard } from '@tradeyard/gateway-contract';
import type { Database, Migration } from '@tradeyard/persistence';
import type { z } from 'zod';

/** Arena leaderboards as the runner publishes them: one row per run, the whole board as JSON. */
export const arenaMigrations: Migration[] = [
  {
    id: '008_arena_runs',
    sql: `
CREATE TABLE arena_runs (run_id text PRIMARY KEY, board jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE INDEX arena_runs_updated_at ON arena_runs (updated_at DESC);
`,
  },
];

const boardOf = (value: unknown): ArenaBoard => arenaBoardSchema.parse(typeof value === 'string' ? JSON.parse(value) : value);

/**
 * Stores and reads arena boards. Bounded: at most `maxRuns` runs are kept (the least recently
 * updated are dropped as new ones arrive), and each board is bounded by its schema and the body limit.
 */
export class ArenaStore {
  constructor(
    private readonly db: Database,
    private readonly maxRuns: number,
  ) {}

  /** Inserts or replaces a run's board, then drops the runs beyond the newest maxRuns. */
  async publish(board: ArenaBoard): Promise<ArenaBoard> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO arena_runs (run_id, board, updated_at) VALUES ($1, $2, clock_timestamp())
         ON CONFLICT (run_id) DO UPDATE SET board = EXCLUDED.board, updated_at = EXCLUDED.updated_at`,
        [board.runId, JSON.stringify(board)],
      );
      await tx.query(
        `DELETE FROM arena_runs WHERE run_id NOT IN (SELECT run_id FROM arena_runs ORDER BY updated_at DESC, run_id DESC LIMIT $1)`,
        [this.maxRuns],
      );
    });
    return board;
  }

  /** Summaries of the runs, most recently updated first. */
  async list(): Promise<z.infer<typeof arenaRunSummarySchema>[]> {
    const rows = await this.db.query<{ summary: unknown }>(
      `SELECT jsonb_build_object('runId', run_id, 'name', board->'name', 'status', board->'status', 'mode', board->'mode', 'from', board->'from',
              'to', board->'to', 'currentDate', board->'currentDate', 'stepsDone', board->'stepsDone', 'stepsTotal', board->'stepsTotal',
              'updatedAt', board->'updatedAt') AS summary
       FROM arena_runs ORDER BY updated_at DESC, run_id DESC`,
    );
    return rows.map((r) => arenaRunSummarySchema.parse(typeof r.summary === 'string' ? JSON.parse(r.summary) : r.summary));
  }

  async get(runId: string): Promise<ArenaBoard | undefined> {
    const [row] = await this.db.query<{ board: unknown }>('SELECT board FROM arena_runs WHERE run_id = $1', [runId]);
    return row && boardOf(row.board);
  }
}

