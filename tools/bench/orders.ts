// Order placement throughput of the paper broker (prints; not a test), on a real PostgreSQL
// server and on embedded PGlite, each beside the rate of bare single-row INSERT transactions
// (BEGIN; INSERT; COMMIT) on the same database in the same run: the ceiling of a transaction
// with one round trip of work. Market orders that fill, so each placement does the whole job
// (risk check, order, journal, fill, cash, position, equity point, outbox).
//   - across 50 accounts: 64 placements in flight, spread over the accounts;
//   - on one account: the same load on one account (its row lock serialises them).
// Placements that arrive while a placement transaction is in flight share the next one (group
// commit, libs/broker README "Throughput"), so the rates depend on how many are in flight.
// Goals (issue 11): >= 2,000/s across 50 accounts and >= 800/s on one account on PostgreSQL.
// The machine's load average is printed first: on a shared machine the figures move with it.
// Run: npx tsx tools/bench/orders.ts   (BENCH_SECONDS=5 by default)
import { cpus, loadavg } from 'node:os';
import { workspaceLibs } from './workspace-libs';

const lib = workspaceLibs('bench-orders');
const persistence = lib<typeof import('@tradeyard/persistence')>('../../libs/persistence/src/index.ts');
const brokerLib = lib<typeof import('@tradeyard/broker')>('../../libs/broker/src/index.ts');

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const inFlight = 64;

type Database = import('@tradeyard/persistence').Database;

/** Runs `work(i)` with `inFlight` calls outstanding for `seconds`; returns completed calls per second. */
async function rate(work: (i: number) => Promise<unknown>): Promise<number> {
  let done = 0;
  let next = 0;
  const until = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < until) {
        await work(next++);
        done++;
      }
    }),
  );
  return done / ((Date.now() - started) / 1000);
}

async function measure(label: string, db: Database, goals: { many: number; one: number } | undefined) {
  await persistence.migrate(db, brokerLib.gatewayMigrations);
  await db.query('CREATE TABLE bench_rows (id bigserial PRIMARY KEY, account text NOT NULL, amount numeric NOT NULL, at timestamptz NOT NULL DEFAULT now())');
  const prices = { price: (symbol: string) => (symbol === 'SPX' ? { price: 4000, time: Date.now() } : undefined) };
  const broker = new brokerLib.Broker(db, prices, {
    startingCash: 1e12,
    feeBps: 1,
    feeFixed: 0,
    slippageBps: 0,
    maxOrderNotional: 0,
    maxPositionNotional: 0,
    allowShort: false,
  });
  const accounts = Array.from({ length: 50 }, (_, i) => `bench-${i}`);
  for (const a of accounts) await broker.ensureAccount(a);
  // Buy and sell alternately so positions stay small and the work per order stays the same.
  const place = (account: string, i: number) => broker.placeOrder(account, { symbol: 'SPX', side: i % 2 ? 'sell' : 'buy', quantity: 1, type: 'market' });
  await rate((i) => place(accounts[i % 50], i)); // warm-up: plans, pool, JIT

  const bare = await rate((i) => db.transaction((tx) => tx.query('INSERT INTO bench_rows (account, amount) VALUES ($1, $2)', [accounts[i % 50], '1.5'])));
  const many = await rate((i) => place(accounts[i % 50], i));
  const one = await rate((i) => place(accounts[0], i));
  const pct = (x: number) => `${((x / bare) * 100).toFixed(0)}% of bare`.padStart(13);
  const goal = (x: number, min: number | undefined) => (min === undefined ? '' : `  goal >= ${min}/s: ${x >= min ? 'met' : 'NOT met'}`);
  console.log(`\n${label}: ${seconds} s per run, ${inFlight} in flight`);
  console.log(`  bare INSERT transactions        ${bare.toFixed(0).padStart(6)} /s`);
  console.log(`  orders across 50 accounts       ${many.toFixed(0).padStart(6)} /s ${pct(many)}${goal(many, goals?.many)}`);
  console.log(`  orders on one account           ${one.toFixed(0).padStart(6)} /s ${pct(one)}${goal(one, goals?.one)}`);
}

async function main() {
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${cpus().length} cores`);
  const missing = persistence.postgresMissing();
  if (missing) console.log(`PostgreSQL: skipped: ${missing}`);
  else {
    const server = await persistence.startPostgres();
    const db = await persistence.openDatabase({ url: server.url });
    try {
      await measure('PostgreSQL (Debian server on loopback)', db, { many: 2000, one: 800 });
    } finally {
      await db.close();
      await server.stop();
    }
  }
  const embedded = await persistence.openDatabase({});
  try {
    await measure('PGlite (in-memory, one connection; the goals are for PostgreSQL)', embedded, undefined);
  } finally {
    await embedded.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
