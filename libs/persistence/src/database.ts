import { mkdirSync } from 'node:fs';
import { DependencyUnavailableError } from '@tradeyard/runtime-util';
import type { Logger } from 'pino';
import { createHash } from 'node:crypto';
import { Pool, type PoolClient, type QueryConfig } from 'pg';
import type { PGlite as PGliteType } from '@electric-sql/pglite';
import { discardCluster, pgliteAssets, saveCluster, savedCluster } from './pglite-cluster';

export type Row = Record<string, unknown>;

export interface QueryOptions {
  /**
   * Prepares the statement once per connection and reuses its plan (PostgreSQL; PGlite runs it
   * as usual). Only for hot statements of fixed text: each distinct text stays prepared on every
   * connection of the pool.
   */
  prepare?: boolean;
}

/** The SQL surface the domain code needs; both PostgreSQL and PGlite implement it. */
export interface Queryable {
  query<T extends Row = Row>(sql: string, params?: unknown[], options?: QueryOptions): Promise<T[]>;
}

const statementNames = new Map<string, string>();
/** A prepared statement's name: derived from its text, so every connection names the same text alike. */
function statement(sql: string, params: unknown[], options?: QueryOptions): QueryConfig {
  if (!options?.prepare) return { text: sql, values: params };
  let name = statementNames.get(sql);
  if (!name) statementNames.set(sql, (name = `p_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`));
  return { name, text: sql, values: params };
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /**
   * The embedded PGlite instance itself (kind 'pglite' only), for a library that drives it through
   * an adapter of its own (pg-boss's fromPglite): PGlite is one connection, so every user of the
   * data folder must share this instance.
   */
  readonly pglite?: PGliteType;
  /** Runs fn in one transaction (READ COMMITTED); rolls back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** SQLSTATE classes and socket errors that mean "the server is gone or not accepting work yet". */
const connectionErrorCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300']);
const connectionErrorMessages = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|Query read timeout|the database system is (starting up|shutting down|in recovery mode)/i;

/** Whether err says the database cannot be reached (as opposed to a bad query or a constraint). */
export function isConnectionError(err: unknown): boolean {
  // Duck-typed: socket errors come from Node's own realm, where `instanceof Error` can be false.
  if (typeof err !== 'object' || err === null) return false;
  const { code = '', message = '' } = err as { code?: unknown; message?: unknown };
  return (typeof code === 'string' && (connectionErrorCodes.has(code) || code.startsWith('08'))) || connectionErrorMessages.test(String(message));
}

/** Rethrows connection failures as DependencyUnavailableError (503 + Retry-After), others as they are. */
const unavailable = (err: unknown): never => {
  if (isConnectionError(err)) throw new DependencyUnavailableError('database', String((err as Error).message), 2, { cause: err });
  throw err;
};

class PostgresDatabase implements Database {
  readonly kind = 'postgres';
  constructor(private readonly pool: Pool) {}

  async query<T extends Row>(sql: string, params: unknown[] = [], options?: QueryOptions) {
    return (await this.pool.query(statement(sql, params, options)).catch(unavailable)).rows as T[];
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.pool.connect().catch(unavailable);
    let broken = false;
    // A checked-out client has no pool listener: a connection lost between two statements of
    // this transaction would otherwise be an unhandled 'error' event. The next statement fails.
    const onLost = () => (broken = true);
    client.on('error', onLost);
    try {
      await client.query('BEGIN');
      const result = await fn({ query: async (sql, params = [], options) => (await client.query(statement(sql, params, options))).rows });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      // A connection that failed mid-transaction is destroyed, not returned to the pool.
      broken ||= isConnectionError(err);
      return unavailable(err);
    } finally {
      client.removeListener('error', onLost);
      client.release(broken);
    }
  }

  close() {
    return this.pool.end();
  }
}

class PgliteDatabase implements Database {
  readonly kind = 'pglite';
  // PGlite is a single connection: transactions are serialized by PGlite itself.
  constructor(readonly pglite: PGliteType) {}

  async query<T extends Row>(sql: string, params: unknown[] = []) {
    return (await this.pglite.query<T>(sql, params)).rows;
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pglite.transaction((tx) => fn({ query: async (sql, params = []) => (await tx.query(sql, params)).rows as never }));
  }

  close() {
    return this.pglite.close();
  }
}

export interface DatabaseOptions {
  /** postgres://... ; unset means embedded PGlite. */
  url?: string;
  /** PGlite data folder; unset means in memory. */
  dataDir?: string;
  /** Where connection losses are logged (the pool replaces lost connections by itself). */
  log?: Logger;
}

/**
 * Bounds on every PostgreSQL call, so a database that is restarting or unreachable makes a
 * request fail within seconds instead of hanging: connecting, each statement on the server, and
 * each query on the client (which also covers a server that vanished mid-query).
 */
export const postgresTimeouts = { connectionTimeoutMillis: 3000, statement_timeout: 10_000, query_timeout: 12_000 };

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const pool = new Pool({ connectionString: options.url, max: 10, keepAlive: true, ...postgresTimeouts });
    // An idle connection that the server closes (restart, failover) emits 'error' on the pool;
    // without a listener that event ends the process. The pool drops the connection and opens a
    // new one for the next query, so logging it is all there is to do.
    pool.on('error', (err) => options.log?.warn({ err: err.message }, 'database connection lost; the pool reconnects on the next query'));
    await pool.query('SELECT 1').catch(unavailable);
    return new PostgresDatabase(pool);
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  return new PgliteDatabase(await openPglite(options.dataDir));
}

/** A PGlite database: in a data folder, or in memory from the saved fresh cluster when there is one. */
async function openPglite(dataDir: string | undefined): Promise<PGliteType> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { options, build } = await pgliteAssets();
  if (dataDir) return PGlite.create({ ...options, dataDir });
  const saved = savedCluster(build);
  if (saved) {
    try {
      return await PGlite.create({ ...options, loadDataDir: saved });
    } catch {
      discardCluster(build);
    }
  }
  const db = await PGlite.create(options);
  await saveCluster(build, db);
  return db;
}
