import type { Database } from './database';

export interface Migration {
  id: string;
  sql: string;
}

/**
 * Applies the migrations not yet recorded in schema_migrations, in order, each in its own
 * transaction. The same plain SQL runs on PostgreSQL and PGlite. An advisory lock keeps two
 * replicas starting together from applying the same migration twice.
 */
export async function migrate(db: Database, migrations: readonly Migration[]): Promise<string[]> {
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    // The lock comes first: replicas starting together on an empty database would otherwise race
    // on creating schema_migrations itself (CREATE TABLE IF NOT EXISTS is not safe concurrently).
    await tx.query('SELECT pg_advisory_xact_lock(7262737)');
    await tx.query('CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await tx.query<{ id: string }>('SELECT id FROM schema_migrations')).map((r) => r.id));
    for (const migration of migrations) {
      if (done.has(migration.id)) continue;
      for (const statement of migration.sql.split(/;\s*$/m).map((s) => s.trim()).filter(Boolean)) {
        await tx.query(statement);
      }
      await tx.query('INSERT INTO schema_migrations (id) VALUES ($1)', [migration.id]);
      applied.push(migration.id);
    }
  });
  return applied;
}
