import { join } from 'node:path';
import Fastify from 'fastify';
import pino from 'pino';
import { countKind } from './__fixtures__/count-kind';
import { jobsConfigSchema } from './config';
import { durableJobs } from './plugin';

const log = pino({ level: 'silent' });
const workerFile = join(__dirname, '__fixtures__/count-worker.js');

describe('the durableJobs plugin', () => {
  // PGlite holds the event loop while it opens: had the service listened first, its /health would
  // go unanswered for seconds right after npm start saw it healthy (the platform tier's kill -9 test).
  it('opens the embedded store (no DATABASE_URL) before the service is ready to listen', async () => {
    const app = Fastify();
    await app.register(durableJobs, { config: jobsConfigSchema.parse({ AGENT_WORKERS: '0' }), kinds: { count: countKind }, log, workerFile, routes: false, inMemory: true });
    try {
      await app.ready();
      await expect(app.jobs.ping()).resolves.toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
