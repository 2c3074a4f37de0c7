import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageAsset } from '@tradeyard/service-kit';
import { Pool, type PoolClient } from 'pg';
import type { PGlite as PGliteType, PGliteOptions } from '@electric-sql/pglite';

export type Row = Record<string, unknown>;

/** The SQL surface the domain code needs; both PostgreSQL and PGlite implement it. */
export interface Queryable {
  query<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs fn in one transaction (READ COMMITTED); rolls back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres';
  constructor(private readonly pool: Pool) {}

  async query<T extends Row>(sql: string, params: unknown[] = []) {
    return (await this.pool.query(sql, params)).rows as T[];
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn({ query: async (sql, params = []) => (await client.query(sql, params)).rows });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  close() {
    return this.pool.end();
  }
}

class PgliteDatabase implements Database {
  readonly kind = 'pglite';
  // PGlite is a single connection: transactions are serialized by PGlite itself.
  constructor(private readonly db: PGliteType) {}

  async query<T extends Row>(sql: string, params: unknown[] = []) {
    return (await this.db.query<T>(sql, params)).rows;
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn({ query: async (sql, params = []) => (await tx.query(sql, params)).rows as never }));
  }

  close() {
    return this.db.close();
  }
}

/**
 * PGlite's WASM and data files, passed in explicitly because the esbuild CJS bundle has no
 * module URL for PGlite to find them by (images carry them in `pglite/`).
 */
const pgliteAsset = (file: string) => packageAsset(join('pglite', file), '@electric-sql/pglite', join('dist', file));

export interface DatabaseOptions {
  /** postgres://... ; unset means embedded PGlite. */
  url?: string;
  /** PGlite data folder; unset means in memory. */
  dataDir?: string;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const pool = new Pool({ connectionString: options.url, max: 10 });
    await pool.query('SELECT 1');
    return new PostgresDatabase(pool);
  }
  const { PGlite } = await import('@electric-sql/pglite');
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // The project compiles without the DOM lib, so WebAssembly is reached through globalThis.
  const compile = (file: string) =>
    (globalThis as unknown as { WebAssembly: { compile(bytes: Buffer): Promise<PGliteOptions['pgliteWasmModule']> } }).WebAssembly.compile(
      readFileSync(pgliteAsset(file)),
    );
  const db = await PGlite.create({
    dataDir: options.dataDir,
    pgliteWasmModule: await compile('pglite.wasm'),
    initdbWasmModule: await compile('initdb.wasm'),
    fsBundle: new Blob([readFileSync(pgliteAsset('pglite.data'))]),
  });
  return new PgliteDatabase(db);
}
