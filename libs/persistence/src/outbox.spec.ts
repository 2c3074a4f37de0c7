import { openDatabase, type Database } from './database';
import { migrate } from './migrate';
import { OutboxRelay, outboxTableSql, writeOutbox } from './outbox';
import { onPostgres } from './test-servers';

const migrations = [{ id: '001_outbox', sql: outboxTableSql }];

function suite(name: string, open: () => Promise<Database>) {
  describe(name, () => {
    let db: Database;
    beforeAll(async () => {
      db = await open();
      await migrate(db, migrations);
    });
    afterAll(() => db?.close());
    beforeEach(() => db.query('DELETE FROM outbox'));

    it('keeps events while publishing fails and publishes each, in order, once it works again', async () => {
      for (let i = 0; i < 5; i++) await db.transaction((tx) => writeOutbox(tx, { n: i }));
      let up = false;
      const seen: unknown[] = [];
      const relay = new OutboxRelay(db, async (payload) => {
        if (!up) throw new Error('redis down');
        seen.push(payload);
      });
      await expect(relay.relayBatch()).rejects.toThrow('redis down');
      expect(await db.query('SELECT count(*)::int AS n FROM outbox')).toEqual([{ n: 5 }]);
      up = true;
      expect(await relay.relayBatch()).toBe(5);
      expect(seen).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
      expect(await db.query('SELECT count(*)::int AS n FROM outbox')).toEqual([{ n: 0 }]);
    });

    it('an event written in a rolled-back transaction is never published', async () => {
      await expect(
        db.transaction(async (tx) => {
          await writeOutbox(tx, { n: 'rolled back' });
          throw new Error('risk check failed');
        }),
      ).rejects.toThrow('risk check failed');
      expect(await db.query('SELECT count(*)::int AS n FROM outbox')).toEqual([{ n: 0 }]);
    });

    it('two relays on one table publish every event exactly once', async () => {
      const total = 300;
      for (let i = 0; i < total; i += 50) {
        await db.transaction(async (tx) => {
          for (let j = i; j < i + 50; j++) await writeOutbox(tx, { n: j });
        });
      }
      const seen: number[] = [];
      // A slow publisher keeps each batch's rows locked long enough for the other relay to skip them.
      const publish = async (payload: unknown) => {
        await new Promise((r) => setTimeout(r, 1));
        seen.push((payload as { n: number }).n);
      };
      const relays = [new OutboxRelay(db, publish, { batchSize: 20, intervalMs: 10 }), new OutboxRelay(db, publish, { batchSize: 20, intervalMs: 10 })];
      relays.forEach((r) => r.start());
      // Until every event is out, however long a loaded machine takes (the test's timeout bounds it).
      while (seen.length < total) await new Promise((r) => setTimeout(r, 20));
      await Promise.all(relays.map((r) => r.stop()));
      expect(seen.length).toBe(total);
      expect(new Set(seen).size).toBe(total);
      if (db.kind === 'postgres') expect(relays.every((r) => r.published > 0)).toBe(true);
    }, 30_000);

    it('commits nudging in quick succession share one relay transaction, and every event is published', async () => {
      const seen: number[] = [];
      // A window far longer than ten commits take even on a loaded machine (tens of ms idle).
      const relay = new OutboxRelay(db, async (payload) => void seen.push((payload as { n: number }).n), { coalesceMs: 5000, intervalMs: 600_000 });
      const batches = jest.spyOn(relay, 'relayBatch');
      relay.start();
      // The relay's first look at the (empty) table, at start: over before the commits begin.
      expect(await batches.mock.results[0].value).toBe(0);
      batches.mockClear();
      for (let n = 0; n < 10; n++) {
        await db.transaction((tx) => writeOutbox(tx, { n }));
        relay.nudge();
      }
      while (seen.length < 10) await new Promise((r) => setTimeout(r, 20));
      await relay.stop();
      expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(batches).toHaveBeenCalledTimes(1);
    });
  });
}

suite('outbox on PGlite (embedded)', () => openDatabase({}));

onPostgres('outbox on PostgreSQL', (server) => {
  suite('outbox on PostgreSQL', () => openDatabase({ url: server().url }));
});
