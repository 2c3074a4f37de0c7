// Opening an in-memory PGlite database, as every test gateway and every trading agent's job store
// does (prints; not a test): openDatabase({}), which loads the saved fresh cluster
// (libs/persistence pglite-cluster.ts), vs the baseline of the same PGlite build running initdb
// each time, with the same precompiled WASM, measured in the same run. Both answer a first query.
// Each side opens and closes ROUNDS databases in turn; the median counts (the machine may be shared).
// Run: npx tsx tools/bench/pglite-open.ts
import { workspaceLibs } from './workspace-libs';

const lib = workspaceLibs('bench-pglite-open');
const persistence = lib<typeof import('@tradeyard/persistence')>('../../libs/persistence/src/index.ts');
const { pgliteAssets } = lib<typeof import('../../libs/persistence/src/pglite-cluster')>('../../libs/persistence/src/pglite-cluster.ts');

const ROUNDS = 7;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(open: () => Promise<{ query(sql: string): Promise<unknown>; close(): Promise<void> }>): Promise<{ wall: number; cpu: number }> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const db = await open();
  await db.query('SELECT 1');
  const wall = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  await db.close();
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

async function main(): Promise<void> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { options } = await pgliteAssets();
  // The first open of a machine runs initdb and saves the cluster; it is not one of the rounds.
  await (await persistence.openDatabase({})).close();
  const saved: { wall: number; cpu: number }[] = [];
  const initdb: { wall: number; cpu: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    saved.push(await timed(() => persistence.openDatabase({})));
    initdb.push(await timed(async () => {
      const db = await PGlite.create(options);
      return { query: (sql: string) => db.query(sql), close: () => db.close() };
    }));
  }
  const row = (name: string, xs: { wall: number; cpu: number }[]) =>
    `${name.padEnd(58)} ${median(xs.map((x) => x.wall)).toFixed(0).padStart(8)} ms ${median(xs.map((x) => x.cpu)).toFixed(0).padStart(8)} ms`;
  console.log(`node ${process.version}; ${ROUNDS} opens each, medians; CPU is the process's (all threads)`);
  console.log(`${'open of an in-memory database, to its first answer'.padEnd(58)} ${'wall'.padStart(11)} ${'CPU'.padStart(11)}`);
  console.log(row('openDatabase({}): the saved fresh cluster', saved));
  console.log(row('baseline: PGlite.create, initdb each time', initdb));
  console.log(`saved cluster / initdb wall time: ${(median(saved.map((x) => x.wall)) / median(initdb.map((x) => x.wall))).toFixed(2)}x`);
}

void main();
