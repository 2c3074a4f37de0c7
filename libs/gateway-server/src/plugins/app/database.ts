import { gatewayMigrations } from '@tradeyard/broker';
import { migrate, openDatabase, type Database } from '@tradeyard/persistence';
import type { Logger } from '@tradeyard/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { arenaMigrations } from '../../arena-store';
import { ensureUser } from '../../auth';
import { signalMigrations } from '../../signal-store';
import { marketMigrations } from './market/market-store';

declare module 'fastify' {
  interface FastifyInstance {
    /** The gateway's database: accounts, orders, the clock, signals, users and tokens, arena boards. */
    db: Database;
  }
}

export interface DatabaseOptions {
  /** An open database to use instead of one opened from DATABASE_URL or DATA_DIR (tests); closed with the gateway all the same. */
  database?: Database;
  log: Logger;
}

/**
 * Opens and migrates the database and makes sure the admin user exists. Registered first, so
 * it closes last: every plugin after it has stopped using it by then (onClose hooks run in
 * reverse order of registration).
 */
const registerDatabase: FastifyPluginAsync<DatabaseOptions> = async (app, options) => {
  const { config } = app;
  const db = options.database ?? (await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATABASE_URL ? undefined : config.DATA_DIR, log: options.log }));
  await migrate(db, [...gatewayMigrations, ...signalMigrations, ...arenaMigrations, ...marketMigrations]);
  await ensureUser(db, config.ADMIN_USERNAME, config.ADMIN_PASSWORD, 'admin');
  app.decorate('db', db);
  app.addReadinessCheck({ name: 'database', check: async () => void (await db.query('SELECT 1')) });
  app.addHook('onClose', () => db.close());
};

export const databasePlugin = fp(registerDatabase, { name: 'database', fastify: '5.x', dependencies: ['gateway-config'] });
