import { DependencyUnavailableError } from '@tradeyard/runtime-util';
import { openDatabase, type Database } from './database';
import { migrate } from './migrate';
import { onPostgres } from './test-servers';

const migrations = [
  { id: '001_accounts', sql: 'CREATE TABLE accounts (id text PRIMARY KEY, cash numeric NOT NULL);' },
  { id: '002_seed', sql: "INSERT INTO accounts VALUES ('a', 100);\nINSERT INTO accounts VALUES ('b', 5);" },
];

function suite(name: string, open: () => Promise<Database>) {
  describe(name, () => {
    let db: Database;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());

    it('applies migrations once, in order', async () => {
      expect(await migrate(db, migrations)).toEqual(['001_accounts', '002_seed']);
      expect(await migrate(db, migrations)).toEqual([]);
      expect(await db.query('SELECT id, cash::float8 AS cash FROM accounts ORDER BY id')).toEqual([
        { id: 'a', cash: 100 },
        { id: 'b', cash: 5 },
      ]);
    });

    it('rolls a failed transaction back completely', async () => {
      await expect(
        db.transaction(async (tx) => {
          await tx.query("UPDATE accounts SET cash = cash - 50 WHERE id = 'a'");
          throw new Error('risk check failed');
        }),
      ).rejects.toThrow('risk check failed');
      expect(await db.query("SELECT cash::float8 AS cash FROM accounts WHERE id = 'a'")).toEqual([{ cash: 100 }]);
    });
  });
}

suite('PGlite (embedded)', () => openDatabase({}));

onPostgres('PostgreSQL', (server) => {
  suite('PostgreSQL server', () => openDatabase({ url: server().url }));

  // Two gateway replicas started together on an empty database failed start-up with
  // "duplicate key value violates unique constraint pg_type_typname_nsp_index".
  it('migrates once when replicas start together on an empty database', async () => {
    const admin = await openDatabase({ url: server().url });
    await admin.query('CREATE DATABASE migrate_race');
    await admin.close();
    const url = server().url.replace(/\/postgres$/, '/migrate_race');
    const replicas = await Promise.all(Array.from({ length: 6 }, () => openDatabase({ url })));
    try {
      const applied = await Promise.all(replicas.map((db) => migrate(db, migrations)));
      expect(applied.flat()).toEqual(['001_accounts', '002_seed']);
    } finally {
      await Promise.all(replicas.map((db) => db.close()));
    }
  });

  it('prepares a statement asked to be prepared once per connection, and runs it with new values each time', async () => {
    const db = await openDatabase({ url: server().url });
    try {
      const sql = 'SELECT cash::float8 AS cash FROM accounts WHERE id = $1';
      const seen = await db.transaction(async (tx) => {
        const answers = [await tx.query(sql, ['a'], { prepare: true }), await tx.query(sql, ['b'], { prepare: true })];
        const prepared = await tx.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements');
        return { answers, prepared: prepared.map((r) => r.statement) };
      });
      expect(seen.answers).toEqual([[{ cash: 100 }], [{ cash: 5 }]]);
      expect(seen.prepared).toEqual([sql]);
      // Without the option nothing is prepared.
      expect(await db.transaction(async (tx) => (await tx.query('SELECT 1 AS one'), await tx.query('SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1', ['SELECT 1 AS one'])))).toEqual([{ n: 0 }]);
    } finally {
      await db.close();
    }
  });

  describe('PostgreSQL going away', () => {
    it('survives pg_ctl restart with idle connections, answers 503-class errors while down, reconnects after', async () => {
      const db = await openDatabase({ url: server().url });
      try {
        // Several idle connections in the pool, each of which the restart terminates.
        await Promise.all([1, 2, 3].map(() => db.query('SELECT pg_sleep(0.05)')));
        await server().restart();
        await new Promise((r) => setTimeout(r, 200));
        expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);

        await server().down();
        // Refused connections fail at once; a hang would meet the test's own timeout.
        const failure = await db.query('SELECT 1').catch((err: unknown) => err);
        expect(failure).toBeInstanceOf(DependencyUnavailableError);
        expect((failure as DependencyUnavailableError).dependency).toBe('database');
        await expect(db.transaction((tx) => tx.query('SELECT 1'))).rejects.toBeInstanceOf(DependencyUnavailableError);

        await server().up();
        expect(await db.transaction((tx) => tx.query('SELECT 2 AS two'))).toEqual([{ two: 2 }]);
      } finally {
        await db.close();
      }
    }, 60_000);
  });
});
