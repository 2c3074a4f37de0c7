import { gatewayMigrations } from '@tradeyard/broker';
import { migrate, openDatabase, type Database } from '@tradeyard/persistence';

/**
 * A fresh in-process database (PGlite, the gateway's schema) for each test of the calling suite,
 * closed after it: the backtest's one account starts flat every time. Answers the current one.
 */
export function databasePerTest(): () => Database {
  let db: Database | undefined;
  beforeEach(async () => {
    db = await openDatabase({});
    await migrate(db, gatewayMigrations);
  });
  afterEach(() => db?.close());
  return () => db!;
}
