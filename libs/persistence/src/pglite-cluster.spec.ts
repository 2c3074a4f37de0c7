import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './database';

// Each case gets a temp folder of its own as the OS temp folder, where the saved cluster lives.
describe('in-memory PGlite from the saved fresh cluster', () => {
  let temp: string;
  let clusters: string;
  beforeEach(() => {
    temp = mkdtempSync(join(tmpdir(), 'pglite-cluster-spec-'));
    jest.spyOn(os, 'tmpdir').mockReturnValue(temp);
    clusters = join(temp, `tradeyard-pglite-${process.getuid?.()}`);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(temp, { recursive: true, force: true });
  });

  const savedClusters = () => readdirSync(clusters).filter((f) => f.endsWith('.tar'));

  it('saves the first fresh cluster and opens later databases from it, each with its own data', async () => {
    const first = await openDatabase({});
    await first.query('CREATE TABLE orders (id int)');
    await first.query('INSERT INTO orders VALUES (1)');
    expect(savedClusters()).toHaveLength(1);

    const second = await openDatabase({});
    // saved before the first database ran a statement: the second starts empty
    expect(await second.query("SELECT to_regclass('orders') AS t")).toEqual([{ t: null }]);
    await second.query('CREATE TABLE orders (id int)');
    await second.query('INSERT INTO orders VALUES (2)');
    expect(await first.query('SELECT id FROM orders')).toEqual([{ id: 1 }]);
    expect(await second.query('SELECT id FROM orders')).toEqual([{ id: 2 }]);
    await Promise.all([first.close(), second.close()]);
  });

  it('runs initdb again when the saved cluster is unreadable, and replaces it', async () => {
    await (await openDatabase({})).close();
    const [file] = savedClusters();
    writeFileSync(join(clusters, file), 'not a tarball');
    const db = await openDatabase({});
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await db.close();
    expect(savedClusters()).toEqual([file]);
    expect(statSync(join(clusters, file)).size).toBeGreaterThan(1_000_000);
    const again = await openDatabase({});
    expect(await again.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await again.close();
  });

  it('neither reads nor writes a cluster in a folder others can write', async () => {
    await (await openDatabase({})).close();
    const [file] = savedClusters();
    rmSync(join(clusters, file));
    chmodSync(clusters, 0o777);
    const db = await openDatabase({});
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await db.close();
    expect(savedClusters()).toEqual([]);
  });
});
