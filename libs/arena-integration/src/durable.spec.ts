// Arena runs are durable jobs: a run whose worker stops is handed to another worker, which runs it
// again from its start in a market of its own, to the board an undisturbed run gives.
import { comparableBoard, parseArenaConfig, startArenaRun } from '@tradeyard/arena';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { onPostgres } from '@tradeyard/persistence';
import { bearerVerifier, createLogger } from '@tradeyard/service-kit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startArenaHarness, startArenaService, type ArenaHarness } from './__fixtures__/harness';

const spx = loadSp500();
const day = (i: number) => isoDate(spx[i].time);
const token = 'arena-service-token-0123';
const auth = { authorization: `Bearer ${token}` };

onPostgres('arena runs as durable jobs', (server) => {
  let harness: ArenaHarness;
  let dir: string;
  beforeAll(async () => {
    harness = await startArenaHarness({ startDate: day(100), env: { SYNTHETIC_SYMBOLS: '0' } });
    dir = mkdtempSync(join(tmpdir(), 'arena-durable-'));
  }, 120_000);
  afterAll(async () => {
    await harness.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands a run whose worker stopped to another, which finishes it with the board of an undisturbed run', async () => {
    const { gateway, mcpUrl, admin } = harness;
    const serviceConfig = { GATEWAY_URL: gateway.url, ADMIN_USERNAME: gateway.admin.username, ADMIN_PASSWORD: gateway.admin.password, TRADING_AGENT_TOKEN: gateway.tokens.tradingAgent, MCP_URL: mcpUrl, DATA_DIR: dir };
    const start = () => startArenaService(serviceConfig, bearerVerifier({ serviceToken: token, serviceCaller: { role: 'admin', username: 'arena-admin' } }), { databaseUrl: server().url });
    const config = {
      name: 'durable',
      market: { symbols: ['SPX'], from: day(300), to: day(700) },
      agents: [
        { kind: 'rule', name: 'sma', strategy: { name: 'sma-cross', fast: 5, slow: 20 } },
        { kind: 'rule', name: 'hold', strategy: { name: 'buy-and-hold' } },
      ],
    };
    const first = await start();
    const posted = await first.app.inject({ method: 'POST', url: '/api/v1/arena/runs', headers: auth, payload: config });
    expect(posted.statusCode).toBe(202);
    const { id } = posted.json();
    const statusOn = async (service: typeof first) => (await service.app.inject(`/api/v1/arena/runs/${id}`)).json();
    while ((await statusOn(first)).stepsDone < 20) await new Promise((resolve) => setTimeout(resolve, 50));
    // The first worker stops mid-run; the second takes the run and starts it again.
    await first.app.close();
    const second = await start();
    try {
      let status = await statusOn(second);
      while (status.status === 'running') status = (await new Promise((resolve) => setTimeout(resolve, 100)), await statusOn(second));
      expect(status).toMatchObject({ id, status: 'finished', stepsDone: 401, stepsTotal: 401 });
      const undisturbed = await startArenaRun({ config: parseArenaConfig(config), outDir: join(dir, 'undisturbed'), mcpUrl, admin, env: {}, log: createLogger('arena-durable-test', 'silent') }).done;
      expect(comparableBoard(status.board)).toEqual(comparableBoard(undisturbed));
      expect(await admin.getArenaBoard(id)).toMatchObject({ runId: id, status: 'finished' });
      // The stopped attempt's market was archived; the finished one's too.
      expect((await admin.listMarkets()).filter((m) => m.name === `arena ${id}`).map((m) => m.status)).toEqual(['archived', 'archived']);
    } finally {
      await second.app.close();
    }
  }, 300_000);
});
