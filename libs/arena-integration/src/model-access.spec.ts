// The arena cannot be turned against the platform: POST /api/v1/arena/runs with an LLM agent
// whose apiKeyVar names a platform secret, or whose baseUrl is the platform's own, is refused
// before any model call; a loopback model API with an allowed key variable still serves a run.
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { bearerVerifier, createLogger, type createService } from '@tradeyard/service-kit';
import { PLATFORM_SECRET_VARS, runArenaCommand, type ArenaServiceConfig } from '@tradeyard/arena';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelReply, startArenaHarness, startArenaService, startModelApi, type ArenaHarness } from './__fixtures__/harness';

const spx = loadSp500();
const day = (i: number) => isoDate(spx[i].time);
const log = createLogger('arena-access-test', 'silent');
const serviceToken = 'agent-service-token-0123';
const auth = { authorization: `Bearer ${serviceToken}` };
const platformSecret = 'jwt-secret-of-the-platform-0123';

let harness: ArenaHarness;
let dir: string;
let service: ReturnType<typeof createService>;
let serviceConfig: ArenaServiceConfig;
/** The authorization headers a listener of the caller's received. */
const received: string[] = [];
let listener: Awaited<ReturnType<typeof startModelApi>>;
const saved = { JWT_SECRET: process.env.JWT_SECRET, ARENA_TEST_API_KEY: process.env.ARENA_TEST_API_KEY };

beforeAll(async () => {
  harness = await startArenaHarness({ startDate: day(100), env: { SYNTHETIC_SYMBOLS: '0' } });
  dir = mkdtempSync(join(tmpdir(), 'arena-access-'));
  // The trading agent's environment holds the platform's secret beside the model key the operator allows.
  Object.assign(process.env, { JWT_SECRET: platformSecret, ARENA_TEST_API_KEY: 'sk-test' });
  listener = await startModelApi((body) => modelReply(body, 1), (headers) => received.push(headers.authorization ?? '(none)'));
  // The token stands in for an admin's login token: arena runs are an admin's.
  const { gateway } = harness;
  serviceConfig = { GATEWAY_URL: gateway.url, ADMIN_USERNAME: gateway.admin.username, ADMIN_PASSWORD: gateway.admin.password, MCP_URL: harness.mcpUrl, DATA_DIR: dir };
  service = await startArenaService(serviceConfig, bearerVerifier({ serviceToken, serviceCaller: { role: 'admin', username: 'arena-admin' } }));
}, 120_000);
afterAll(async () => {
  await service.app.close();
  await listener.close();
  await harness.close();
  for (const [name, value] of Object.entries(saved)) if (value === undefined) delete process.env[name]; else process.env[name] = value;
  rmSync(dir, { recursive: true, force: true });
});

const body = (agent: Record<string, unknown>) => ({
  name: 'access', market: { symbols: ['SPX'], from: day(100), to: day(103) },
  agents: [{ kind: 'llm', name: 'llm', model: 'm', maxSteps: 3, apiKeyVar: 'ARENA_TEST_API_KEY', baseUrl: listener.base, ...agent }],
});
const post = (payload: object) => service.app.inject({ method: 'POST', url: '/api/v1/arena/runs', headers: auth, payload });

describe('arena model access', () => {
  it('refuses an LLM agent whose apiKeyVar names a platform secret: 400 naming the field, and no model call', async () => {
    const refused = await post(body({ apiKeyVar: 'JWT_SECRET' }));
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({
      error: 'validation_failed',
      details: [{ field: 'body.agents.0.apiKeyVar', rule: expect.stringMatching(/^must not name a platform secret \(JWT_SECRET, ADMIN_PASSWORD, /) }],
    });
    expect(received).toEqual([]);
    // Nor any variable of the shell that is not a model key.
    expect((await post(body({ apiKeyVar: 'HOME' }))).json()).toMatchObject({ details: [{ field: 'body.agents.0.apiKeyVar', rule: 'must end in _API_KEY (the operator may allow other names with ARENA_API_KEY_VARS)' }] });
  });

  it('refuses a baseUrl at the platform’s own services', async () => {
    for (const baseUrl of [`${harness.gateway.url}/v1`, harness.mcpUrl.replace('127.0.0.1', 'localhost')]) {
      const refused = await post(body({ baseUrl }));
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ details: [{ field: 'body.agents.0.baseUrl', rule: "must not be an address of the platform's own services (gateway, MCP tools, trading agent)" }] });
    }
  });

  it('exits 2 with one line when the command line is given such a config, and only the operator list is allowed once set', async () => {
    const file = join(dir, 'secret.json');
    writeFileSync(file, JSON.stringify(body({ apiKeyVar: 'JWT_SECRET' })));
    const out: string[] = [];
    const io = (config: typeof serviceConfig) => ({ stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => out.push(t) }, config, log });
    expect(await runArenaCommand([`--config=${file}`], io(serviceConfig))).toBe(2);
    expect(out.join('')).toBe(`${file}: agents.0.apiKeyVar: must not name a platform secret (${PLATFORM_SECRET_VARS.join(', ')})\n`);
    out.length = 0;
    writeFileSync(file, JSON.stringify(body({})));
    expect(await runArenaCommand([`--config=${file}`], io({ ...serviceConfig, ARENA_API_KEY_VARS: ['OPENAI_API_KEY'], ARENA_MODEL_HOSTS: ['api.openai.com'] }))).toBe(2);
    expect(out.join('')).toBe(
      `${file}: agents.0.apiKeyVar: must be one of the operator's ARENA_API_KEY_VARS: OPENAI_API_KEY; agents.0.baseUrl: must be on a host of the operator's ARENA_MODEL_HOSTS: api.openai.com\n`,
    );
    expect(received).toEqual([]);
  });

  it('runs an LLM agent on a loopback model API with an allowed key variable', async () => {
    const started = await post(body({}));
    expect(started.statusCode).toBe(202);
    const { run } = started.json() as { run: string };
    let status = (await service.app.inject(run)).json();
    while (status.status === 'running') status = (await new Promise((r) => setTimeout(r, 50)), (await service.app.inject(run)).json());
    expect(status).toMatchObject({ status: 'finished', stepsDone: 4 });
    expect(new Set(received)).toEqual(new Set(['Bearer sk-test']));
  }, 60_000);
});
